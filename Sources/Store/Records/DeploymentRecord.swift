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
    public init(
        name: String, url: String, branch: String, enabled: Bool = true, pollIntervalSeconds: Int, createdAt: Double,
        clean: Bool = true
    ) {
        self.name = name
        self.url = url
        self.branch = branch
        self.enabled = enabled
        self.pollIntervalSeconds = pollIntervalSeconds
        self.createdAt = createdAt
        self.clean = clean
    }
}
