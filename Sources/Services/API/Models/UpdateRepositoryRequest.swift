import Store

/// `PATCH /api/repos/NAME` body: the settings to change (absent ones stay).
public struct UpdateRepositoryRequest: Codable, Sendable {
    /// Like `30s`, `5m`, `1h` or a number of seconds; at least 10 s.
    public var pollInterval: String?

    /// A body changing the given settings.
    public init(pollInterval: String? = nil) { self.pollInterval = pollInterval }
}
