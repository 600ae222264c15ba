import Store

/// `POST /api/repos/NAME/forget-host` answer.
public struct ForgetHostResponse: Codable, Sendable {
    /// The deployment.
    public var deployment: String
    /// The host whose keys were dropped.
    public var host: String
    /// `known_hosts` lines removed (0: the host was not trusted yet).
    public var removed: Int
}
