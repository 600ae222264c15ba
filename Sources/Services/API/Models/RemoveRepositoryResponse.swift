import Store

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
