import Store

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
