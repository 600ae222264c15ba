/// Errors of Git operations, each naming what failed and what the operator can do.
public enum GitError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The branch does not exist on the remote.
    case branchNotFound(url: String, branch: String)
    /// The server refused the deployment's key (`Permission denied (publickey)`).
    case permissionDenied(deployment: String, url: String)
    /// The host's key differs from the one trusted on first use.
    case hostKeyChanged(deployment: String, host: String)
    /// The operation did not finish in time; its worker was killed and removed.
    case timedOut(operation: String, seconds: Int)
    /// The worker image is not on this host and could not be pulled.
    case workerImageMissing(image: String, detail: String)
    /// The remote cannot be reached (no network at boot, the Git server down, a name that
    /// does not resolve): `detail` is the line of ssh or git that says so.
    case unreachable(url: String, detail: String)
    /// Any other failure; the message carries the output's tail.
    case commandFailed(String)

    public var description: String {
        switch self {
        case .branchNotFound(let url, let branch):
            return "branch '\(branch)' not found on remote \(url)"
        case .permissionDenied(let deployment, let url):
            return
                "permission denied by \(url): the deploy key of '\(deployment)' is not authorised there. Add it as a read-only deploy key (`stevedore repo key \(deployment)` prints it and how)"
        case .hostKeyChanged(let deployment, let host):
            return
                "the SSH host key of \(host) has changed since it was first trusted for '\(deployment)' (possible man-in-the-middle). If the change is expected, run `stevedore repo forget-host \(deployment) \(host)`; the next connection trusts the new key"
        case .timedOut(let operation, let seconds):
            return "git \(operation) timed out after \(seconds) s and was stopped (raise STEVEDORE_GIT_TIMEOUT for slow remotes)"
        case .workerImageMissing(let image, let detail):
            return
                "git worker image \(image) is not available (\(detail)): load or pull it (`docker pull \(image)`), choose another with STEVEDORE_GIT_IMAGE, or set STEVEDORE_GIT_MODE=local to run git on the host"
        case .unreachable(let url, let detail):
            return
                "remote \(url) cannot be reached (\(detail)): the network or the Git server is down; the running containers are left alone and the check is retried with backoff"
        case .commandFailed(let message):
            return message
        }
    }

    /// Whether git says the local repository is damaged (an object file empty or corrupt, a
    /// broken index): what a filesystem that lost unsynced writes leaves behind. A fresh
    /// clone repairs it.
    public var meansCorruptCheckout: Bool {
        guard case .commandFailed(let message) = self else { return false }
        return Self.corruptionMarkers.contains { message.contains($0) }
    }

    static let corruptionMarkers = [
        "is corrupt", "bad object", "index file corrupt", "unable to read tree", "fatal: bad tree", "broken link from",
        "not a git repository", "loose object",
    ]

    /// Lines of OpenSSH, git and curl that mean the remote cannot be reached at all.
    static let unreachableMarkers = [
        "Connection refused", "Could not resolve hostname", "Could not resolve host", "Network is unreachable", "No route to host",
        "Connection timed out", "Failed to connect to", "Temporary failure in name resolution",
    ]

    /// Reads a failed run's output: permission denied, changed host key and missing branch
    /// get their own cases (matching OpenSSH's and git's messages); anything else is
    /// ``commandFailed(_:)`` with the output's tail. The URL in the structured cases is
    /// ``GitURL/redacted(_:)``.
    public static func classify(_ result: GitRunResult, operation: GitScript.Operation, deployment: String) -> GitError {
        let output = result.output
        // Messages and logs never show credentials of an https URL (`https://user:token@…`).
        let url = GitURL.redacted(operation.url ?? "")
        if output.contains("REMOTE HOST IDENTIFICATION HAS CHANGED") || output.contains("Host key verification failed") {
            return .hostKeyChanged(deployment: deployment, host: GitURL.host(url) ?? url)
        }
        if output.contains("Permission denied (publickey") {
            return .permissionDenied(deployment: deployment, url: url)
        }
        if let line = output.split(separator: "\n").first(where: { line in unreachableMarkers.contains { line.contains($0) } }) {
            return .unreachable(url: url, detail: String(line.drop { $0 == " " }))
        }
        if case .clone(_, let branch) = operation, output.contains("Remote branch \(branch) not found") {
            return .branchNotFound(url: url, branch: branch)
        }
        if case .update(_, let branch, _) = operation, output.contains("couldn't find remote ref") {
            return .branchNotFound(url: url, branch: branch)
        }
        let tail = output.split(separator: "\n").suffix(15).joined(separator: "\n")
        let how = result.exitCode.map { "exit status \($0)" } ?? "killed by a signal"
        return .commandFailed("git \(operation.arguments[0]) failed (\(how)): \(tail)")
    }
}
