import Store

/// `POST /api/repos/NAME/forget-host` body.
public struct ForgetHostRequest: Codable, Sendable {
    /// The host whose trusted key is dropped.
    public var host: String

    /// A body naming `host`.
    public init(host: String) { self.host = host }
}
