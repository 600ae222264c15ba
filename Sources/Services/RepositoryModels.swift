import Store

/// Answers of the repository and check endpoints (docs/API.md). JSON keys are snake_case
/// (``APICoding``).

/// `GET /api/repos/NAME/key` and part of `POST /api/repos`' answer: the deploy key's public
/// half and, for GitHub remotes, where and how to register it.
public struct DeployKeyResponse: Codable, Sendable, Equatable {
    /// The deployment.
    public var deployment: String
    /// The OpenSSH public key line: `ssh-ed25519 AAAA… stevedore:<name>`.
    public var publicKey: String
    /// Present when the URL is a GitHub repository.
    public var github: GitHubDeployKeyHint?
}

/// Where a GitHub repository's deploy keys are managed, and the `gh` command that adds one.
public struct GitHubDeployKeyHint: Codable, Sendable, Equatable {
    /// `owner/repo`.
    public var repository: String
    /// `https://github.com/owner/repo/settings/keys/new`.
    public var settingsURL: String
    /// `gh api -X POST repos/owner/repo/keys -f title=… -f key=… -F read_only=true`
    /// (`-F`: a typed field, so `read_only` is the boolean `true`; `-f` would send the string
    /// "true" and GitHub would make the key writable).
    public var ghCommand: String
    /// For an `https://` URL: the SSH URL to use instead (a deploy key works over SSH only).
    public var sshURL: String?

    // Spelled so that the API coders' snake_case conversion round-trips (`settings_url` ↔
    // `settingsUrl`); `settingsURL` would encode fine but never decode.
    enum CodingKeys: String, CodingKey {
        case repository, settingsURL = "settingsUrl", ghCommand, sshURL = "sshUrl"
    }
}

/// `POST /api/repos`: the registered deployment and its deploy key.
public struct AddRepositoryResponse: Codable, Sendable {
    /// The registered deployment.
    public var deployment: DeploymentRecordView
    /// Its deploy key.
    public var deployKey: DeployKeyResponse
}

/// A deployment's settings as the API shows them.
public typealias DeploymentRecordView = DeploymentRecord

/// `GET /api/deployments/NAME/check`: remote head against checkout and deployment.
public struct CheckResponse: Codable, Sendable, Equatable {
    /// The deployment.
    public var deployment: String
    /// Remote URL.
    public var url: String
    /// Branch followed.
    public var branch: String
    /// Commit checked out now (`nil`: never synced).
    public var currentCommit: String?
    /// Commit last brought up with Compose.
    public var deployedCommit: String?
    /// The remote branch's head.
    public var remoteCommit: String
    /// Whether the remote head differs from what is checked out or deployed.
    public var updateAvailable: Bool
}

/// `DELETE /api/repos/NAME`: what was removed and what was kept.
public struct RemoveRepositoryResponse: Codable, Sendable {
    /// The removed deployment.
    public var deployment: String
    /// `removed` (Compose down) or `kept` (`keep_containers`).
    public var containers: String
    /// Directories deleted (checkout, ssh files).
    public var deleted: [String]
    /// Directories left in place (data and logs: user data is never deleted implicitly).
    public var kept: [String]
}

/// `POST /api/repos/NAME/forget-host` body.
public struct ForgetHostRequest: Codable, Sendable {
    /// The host whose trusted key is dropped.
    public var host: String

    /// A body naming `host`.
    public init(host: String) { self.host = host }
}

/// `POST /api/repos/NAME/forget-host` answer.
public struct ForgetHostResponse: Codable, Sendable {
    /// The deployment.
    public var deployment: String
    /// The host whose keys were dropped.
    public var host: String
    /// `known_hosts` lines removed (0: the host was not trusted yet).
    public var removed: Int
}

/// `PATCH /api/repos/NAME` body: the settings to change (absent ones stay).
public struct UpdateRepositoryRequest: Codable, Sendable {
    /// Like `30s`, `5m`, `1h` or a number of seconds; at least 10 s.
    public var pollInterval: String?

    /// A body changing the given settings.
    public init(pollInterval: String? = nil) { self.pollInterval = pollInterval }
}
