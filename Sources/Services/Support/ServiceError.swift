/// Errors of the daemon's services, each with a message an operator can act on.
public enum ServiceError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A deployment name outside `^[a-z0-9][a-z0-9_-]{0,62}$`.
    case invalidName(String)
    /// A branch name git would not accept as a branch.
    case invalidBranch(String)
    /// A repository URL that is empty, starts with `-` or contains control characters.
    case invalidURL(String)
    /// A duration like `30s` / `5m` that does not parse or is out of range.
    case invalidDuration(name: String, value: String, allowed: String)
    /// A listen address that is not `HOST:PORT`.
    case invalidListenAddress(String)
    /// A state root that is not an absolute path.
    case invalidRoot(String)
    /// A setting outside its allowed words (e.g. `STEVEDORE_LOG_LEVEL`).
    case invalidSetting(name: String, value: String, allowed: String)
    /// An on/off setting (e.g. `STEVEDORE_FAULT_INJECTION`) that is not one of the allowed words.
    case invalidFlag(name: String, value: String)
    /// No deployment of that name.
    case unknownDeployment(String)
    /// A deployment of that name exists already.
    case deploymentExists(String)
    /// The deployment has never been synced, so there is nothing to bring up.
    case notSynced(String)
    /// The admin key file is missing (daemon never started on this root).
    case adminKeyMissing(String)
    /// Another daemon holds the state root's lock.
    case rootLocked(root: String, pid: Int32?)
    /// The database exists but its key file does not (a generated key would not open it).
    case databaseKeyMissing(database: String, keyFile: String)
    /// The `ssh-agent` child does not serve this deployment's socket right now (with the
    /// reason, when its start failed).
    case agentUnavailable(String, reason: String?)
    /// A host name that is empty or contains spaces or commas.
    case invalidHost(String)
    /// A file could not be written (the previous content is unchanged).
    case fileWriteFailed(path: String, reason: String)
    /// The deployment has no deploy key (added before keys existed).
    case noDeployKey(String)
    /// A parameter name outside `^[A-Za-z_][A-Za-z0-9_]*$` or in the reserved `STEVEDORE_` namespace.
    case invalidParameterName(String)
    /// A parameter value that is too large or cannot be put in an environment.
    case invalidParameterValue(key: String, reason: String)
    /// The deployment has no parameter of that name.
    case unknownParameter(deployment: String, key: String)
    /// The pipeline refused to deploy a commit (e.g. services without `init: true`).
    case refused(String)
    /// The reconciler's redeploy did not bring the deployment up (outcome and reason).
    case redeployFailed(String)
    /// A run someone waited for was interrupted by the daemon's shutdown (the text says
    /// what happens to it); the waiter gets this instead of a lost connection.
    case interrupted(String)
    /// The work needs the Docker engine, which does not answer (API 503): `action` says what
    /// could not be done, `detail` what the engine's socket said.
    case engineUnavailable(action: String, detail: String)

    public var description: String {
        switch self {
        case .agentUnavailable(let name, let reason?):
            return "the ssh-agent subsystem cannot serve '\(name)': \(reason)"
        case .agentUnavailable(let name, nil):
            return
                "the ssh-agent subsystem is not serving '\(name)' right now, so its deploy key cannot be used; see `stevedore supervisor status` (start it with `stevedore supervisor start ssh-agent` if an operator stopped it)"
        case .invalidHost(let host):
            return "invalid host '\(host)': give the host name as it appears in the repository URL, e.g. github.com or 127.0.0.1"
        case .fileWriteFailed(let path, let reason):
            return "cannot write \(path): \(reason) (the previous content is unchanged)"
        case .invalidParameterName(let name):
            return
                "invalid parameter name '\(name)': use 1-128 letters, digits and '_', not starting with a digit (^[A-Za-z_][A-Za-z0-9_]*$); reserved: \(Validation.reservedParameterNames.sorted().joined(separator: ", ")) and names starting with \(Validation.reservedParameterPrefixes.joined(separator: ", "))"
        case .invalidParameterValue(let key, let reason):
            return "invalid value for parameter \(key): \(reason)"
        case .unknownParameter(let deployment, let key):
            return "deployment '\(deployment)' has no parameter \(key) (see `stevedore param list \(deployment)`)"
        case .refused(let why):
            return why
        case .redeployFailed(let why):
            return "redeploy failed: \(why)"
        case .interrupted(let why):
            return "the run was interrupted: \(why)"
        case .engineUnavailable(let action, let detail):
            return "\(action): \(detail)"
        case .noDeployKey(let name):
            return "deployment '\(name)' has no deploy key; remove and add it again to get one"
        case .invalidName(let name):
            return
                "invalid deployment name '\(name)': use 1-63 characters, lower-case letters, digits, '-' and '_', starting with a letter or digit (^[a-z0-9][a-z0-9_-]{0,62}$)"
        case .invalidBranch(let branch):
            return
                "invalid branch '\(branch)': a branch name may not be empty or '@', start with '-' or '/', end with '/' or '.', have a part (between '/') that starts with '.' or ends with '.lock', or contain spaces, '..', '//', '@{', '~', '^', ':', '?', '*', '[', '\\' or control characters"
        case .invalidURL(let url):
            return
                "invalid repository URL '\(url)': give a Git URL (https://…, ssh://…, git@host:path, file:///absolute/path) or an absolute path (without ':'), without spaces or control characters, not starting with '-', and not a `transport::address` form"
        case .invalidDuration(let name, let value, let allowed):
            return "invalid \(name) '\(value)': \(allowed)"
        case .invalidListenAddress(let value):
            return "invalid listen address '\(value)': use HOST:PORT, e.g. 0.0.0.0:42107 or 127.0.0.1:8080"
        case .invalidFlag(let name, let value):
            return "invalid \(name) '\(value)': use 1, true, yes or on to enable; 0, false, no, off or empty to disable"
        case .invalidSetting(let name, let value, let allowed):
            return "invalid \(name) '\(value)': use \(allowed)"
        case .invalidRoot(let path):
            return "invalid state root '\(path)': use an absolute path (STEVEDORE_ROOT or --root), e.g. /opt/stevedore"
        case .unknownDeployment(let name):
            return "no deployment named '\(name)' (see `stevedore repo list`)"
        case .deploymentExists(let name):
            return "a deployment named '\(name)' already exists"
        case .notSynced(let name):
            return "deployment '\(name)' has not been synced yet; run `stevedore deploy sync \(name)` first"
        case .rootLocked(let root, let pid):
            return
                "another stevedore daemon\(pid.map { " (pid \($0))" } ?? "") is running on state root \(root); stop it first, or use another STEVEDORE_ROOT"
        case .databaseKeyMissing(let database, let keyFile):
            return
                "\(database) exists but its key \(keyFile) is missing: restore the key file from your backup, or set STEVEDORE_DB_KEY / STEVEDORE_DB_KEY_FILE (a new key would not open this database)"
        case .adminKeyMissing(let path):
            return "admin key \(path) not found: start the daemon once (`stevedore daemon`) or check STEVEDORE_ROOT"
        }
    }
}
