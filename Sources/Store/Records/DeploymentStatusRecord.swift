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
