import Supervision

/// `POST /api/supervisor/{restart,stop,start}` body.
public struct SupervisorActionRequest: Codable, Sendable {
    /// Node path, e.g. `deployments/hello/poller` (`GET /api/supervisor` lists them).
    public var path: String
    /// Who asks, for the event (the CLI sends `cli:<user>`); default `api`.
    public var actor: String?

    /// A request.
    public init(path: String, actor: String? = nil) {
        self.path = path
        self.actor = actor
    }
}
