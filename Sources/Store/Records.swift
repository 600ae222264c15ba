/// A registered deployment: one Git repository with a Compose file at its root.
public struct DeploymentRecord: Sendable, Equatable, Codable {
    /// Deployment name, `^[a-z0-9][a-z0-9_-]{0,62}$` (validated by the caller).
    public var name: String
    /// Git remote URL.
    public var url: String
    /// Branch followed.
    public var branch: String
    /// `false` after `deploy down`: poller and reconciler leave it alone until `deploy up`.
    public var enabled: Bool
    /// Seconds between remote checks.
    public var pollIntervalSeconds: Int
    /// Unix time (seconds) of registration.
    public var createdAt: Double
    /// Whether an update removes untracked files from the checkout (`git clean -fd`); `false`
    /// after `repo add --no-clean`.
    public var clean: Bool

    /// A record with the given fields (see the properties).
    public init(name: String, url: String, branch: String, enabled: Bool = true, pollIntervalSeconds: Int, createdAt: Double,
                clean: Bool = true) {
        self.name = name
        self.url = url
        self.branch = branch
        self.enabled = enabled
        self.pollIntervalSeconds = pollIntervalSeconds
        self.createdAt = createdAt
        self.clean = clean
    }
}

/// Sync and deploy status of one deployment. Times are Unix seconds.
public struct DeploymentStatusRecord: Sendable, Equatable, Codable {
    /// The deployment's name.
    public var name: String
    /// When the remote was last checked, and the commit the branch pointed at.
    public var lastCheckedAt: Double?
    /// Head of the remote branch at that check.
    public var remoteCommit: String?
    /// The commit the checkout holds, and when it was synced.
    public var syncedCommit: String?
    /// When the checkout was last synced.
    public var syncedAt: Double?
    /// The commit last brought up with Compose, and when.
    public var deployedCommit: String?
    /// When it was last brought up.
    public var deployedAt: Double?
    /// The last error of a check, sync or deploy; cleared by the next success.
    public var lastError: String?
    /// When the last error happened.
    public var lastErrorAt: Double?
    /// A commit whose deploy failed or was rolled back: the pipeline does not try it again
    /// until a newer commit arrives or an operator forces it (`deploy up --force`).
    public var failedCommit: String?

    /// An empty status (never checked, synced or deployed).
    public init(name: String) { self.name = name }
}

/// One entry of the event history (supervisor and deployment events).
public struct EventRecord: Sendable, Equatable, Codable {
    /// Increasing id (insertion order).
    public var id: Int64
    /// Unix seconds.
    public var at: Double
    /// The deployment concerned, or `nil` for daemon-wide events.
    public var deployment: String?
    /// Short machine-readable kind, e.g. `deploy`, `sync`, `reconcile`, `error`.
    public var kind: String
    /// Human-readable text.
    public var message: String
}

/// A deployment's SSH deploy key as stored: the private part is the 32-byte Ed25519 seed
/// (RFC 8032), which exists only in the encrypted database and in the agent's memory.
public struct DeployKeyRecord: Sendable, Equatable {
    /// The deployment it belongs to.
    public var deployment: String
    /// `ssh-ed25519`.
    public var keyType: String
    /// The private seed (32 bytes). Never logged, never written to a file, never sent.
    public var privateSeed: [UInt8]
    /// The OpenSSH public key line (`ssh-ed25519 AAAA… stevedore:<name>`).
    public var publicKey: String
    /// Unix time (seconds) of creation.
    public var createdAt: Double

    /// A record with the given fields (see the properties).
    public init(deployment: String, keyType: String, privateSeed: [UInt8], publicKey: String, createdAt: Double) {
        self.deployment = deployment
        self.keyType = keyType
        self.privateSeed = privateSeed
        self.publicKey = publicKey
        self.createdAt = createdAt
    }
}
