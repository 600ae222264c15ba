/// What one deployment's Git operations may use: its agent socket and its SSH files. Paths are
/// host paths; a worker container gets them mounted at fixed places.
public struct GitAccess: Sendable, Equatable {
    /// The deployment the operation is for (labels, messages).
    public var deployment: String
    /// Directory holding the deployment's agent socket `agent.sock` (mode 0700), or `nil`
    /// when no agent serves it.
    public var agentDirectory: String?
    /// Directory with `known_hosts` (trust on first use) and `deploy_key.pub` (the public key
    /// only: it makes ssh offer exactly that agent key).
    public var sshDirectory: String

    /// Access for `deployment` (see the properties; paths are host paths).
    public init(deployment: String, agentDirectory: String?, sshDirectory: String) {
        self.deployment = deployment
        self.agentDirectory = agentDirectory
        self.sshDirectory = sshDirectory
    }

    /// File name of the agent socket inside ``agentDirectory``.
    public static let agentSocketName = "agent.sock"
    /// File name of the public key inside ``sshDirectory``.
    public static let publicKeyName = "deploy_key.pub"
    /// File name of the trusted host keys inside ``sshDirectory``.
    public static let knownHostsName = "known_hosts"

    /// `GIT_SSH_COMMAND` for ssh files under `sshDirectory` (as the process sees it): no user
    /// or system ssh config (`-F /dev/null`), batch mode (never a prompt), only the deploy key
    /// (`IdentitiesOnly` + its public key: ssh signs through the agent), the deployment's own
    /// `known_hosts` with `StrictHostKeyChecking=accept-new` (trust on first use; a changed key
    /// fails), keep-alives so a dead connection ends. ssh_config(5).
    public static func sshCommand(sshDirectory: String, connectTimeoutSeconds: Int = 30) -> String {
        [
            "ssh", "-F", "/dev/null", "-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes",
            "-o", "IdentityFile=\(sshDirectory)/\(publicKeyName)",
            "-o", "UserKnownHostsFile=\(sshDirectory)/\(knownHostsName)", "-o", "GlobalKnownHostsFile=/dev/null",
            "-o", "StrictHostKeyChecking=accept-new", "-o", "HashKnownHosts=no", "-o", "UpdateHostKeys=no",
            "-o", "ConnectTimeout=\(connectTimeoutSeconds)", "-o", "ServerAliveInterval=15", "-o", "ServerAliveCountMax=4",
        ].map(shellQuoted).joined(separator: " ")
    }

    /// `text` in single quotes for `sh` (git runs `GIT_SSH_COMMAND` through the shell).
    public static func shellQuoted(_ text: String) -> String {
        if !text.isEmpty, text.allSatisfy({ $0.isLetter || $0.isNumber || "-_./=:@".contains($0) }) { return text }
        return "'" + text.replacingOccurrences(of: "'", with: #"'\''"#) + "'"
    }
}
