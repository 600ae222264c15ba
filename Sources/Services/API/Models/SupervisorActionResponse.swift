import Supervision

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
