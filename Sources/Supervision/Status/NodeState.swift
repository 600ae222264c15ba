/// The state of one node of the supervision tree, as shown by `stevedore supervisor status`.
public enum NodeState: String, Sendable, Codable {
    /// Being started.
    case starting
    /// Running normally.
    case running
    /// Running, but an external dependency is down (see ``ChildContext/setDegraded(_:)``).
    case degraded
    /// Ended abnormally; waiting out its backoff delay before the next restart.
    case backoff
    /// Ended and not restarted (normal end of a transient/temporary child, or terminated).
    case stopped
    /// Missed its liveness deadline; being stopped, to be restarted like a failure.
    case hung
    /// Did not end within its shutdown timeout after cancellation; abandoned.
    case stuck
    /// The supervisor gave up (restart intensity exceeded) or the child is not restartable.
    case failed
}
