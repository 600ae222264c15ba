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
    /// Ids (`sha256:…`) of the images Compose built for it, removed with the containers
    /// (empty with `keep_containers`: the kept containers still use them).
    public var imagesRemoved: [String] = []
    /// Built images the engine would not remove, with its reason (e.g. another container
    /// uses one); removing them by hand is safe once nothing uses them.
    public var imagesKept: [String] = []
}
