import Synchronization

/// What a running child receives from its supervisor: its path in the tree and a way to
/// report liveness and health without an actor hop.
///
/// Thread-safe; a child may call it from any task.
public final class ChildContext: Sendable {
    /// The child's path from the root, e.g. `deployments/hello/poller`.
    public let path: String
    private let clock: any SupervisorClock
    private struct State {
        var lastHeartbeat: Duration?
        var degradedReason: String?
        var statusText: String?
    }
    private let state = Mutex(State())

    /// Creates a context. Supervisors make these; tests of a single worker may too.
    public init(path: String, clock: any SupervisorClock) {
        self.path = path
        self.clock = clock
    }

    /// Records that the child is alive now (shown as "last heartbeat age" in status).
    public func heartbeat() {
        let now = clock.now
        state.withLock { $0.lastHeartbeat = now }
    }

    /// Marks the child `degraded` because an external dependency is unavailable (Docker
    /// engine down, Git remote unreachable). Not a failure: the child keeps running and
    /// retries. `nil` clears it.
    public func setDegraded(_ reason: String?) {
        state.withLock { $0.degradedReason = reason }
    }

    /// A one-line human status shown in the tree (like sd_notify(3)'s `STATUS=`).
    public func setStatus(_ text: String?) {
        state.withLock { $0.statusText = text }
    }

    var lastHeartbeat: Duration? { state.withLock { $0.lastHeartbeat } }
    var degradedReason: String? { state.withLock { $0.degradedReason } }
    var statusText: String? { state.withLock { $0.statusText } }
}
