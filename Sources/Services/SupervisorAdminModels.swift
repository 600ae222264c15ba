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

/// Answer to a supervisor action.
public struct SupervisorActionResponse: Codable, Sendable {
    /// The node acted on.
    public var path: String
    /// `restart`, `stop` or `start`.
    public var action: String
    /// Who asked.
    public var by: String
    /// When, in seconds since 1970 (UTC).
    public var at: Double
    /// The node's state after the action (absent when the action completes after the answer).
    public var node: NodeStatus?
    /// A remark for humans, e.g. that `http` restarts after answering.
    public var note: String? = nil
}

/// `POST /api/supervisor/fault` body (only with fault injection enabled).
public struct FaultRequest: Codable, Sendable {
    /// Path of a running worker.
    public var path: String
    /// `throw`, `hang`, `trap` or `ignore-cancellation` (``InjectedFault``).
    public var fault: String
    /// Who asks; default `api`.
    public var actor: String?

    /// A request.
    public init(path: String, fault: String, actor: String? = nil) {
        self.path = path
        self.fault = fault
        self.actor = actor
    }
}

/// Answer to an accepted fault injection (202).
public struct FaultResponse: Codable, Sendable {
    /// The worker.
    public var path: String
    /// The fault delivered.
    public var fault: String
    /// Who asked.
    public var by: String
    /// When, in seconds since 1970 (UTC).
    public var at: Double
}
