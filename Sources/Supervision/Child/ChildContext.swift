import Synchronization

/// What a running child receives from its supervisor: its path in the tree and a way to
/// report readiness, liveness and health without an actor hop, and to learn that a graceful
/// stop was requested.
///
/// Thread-safe; a child may call it from any task.
public final class ChildContext: Sendable {
    /// The child's path from the root, e.g. `deployments/hello/poller`.
    public let path: String
    let clock: any SupervisorClock
    private let onReady: @Sendable () -> Void
    private struct State {
        var lastHeartbeat: Duration?
        /// The end of an idle sleep the child vouched for (``vouchIdle(until:)``), supervisor clock.
        var idleUntil: Duration?
        /// Open-ended idle waits the child vouches for (``beginIdle()``), nested or concurrent.
        var openIdle = 0
        var degradedReason: String?
        var statusText: String?
        var pid: Int32?
        var readyReported = false
        var shutdownRequested = false
        var shutdownHandlers: [@Sendable () -> Void] = []
    }
    private let state = Mutex(State())

    /// Creates a context. Supervisors make these; tests of a single worker may too.
    ///
    /// - Parameter onReady: called once, on the first ``ready()``.
    public init(path: String, clock: any SupervisorClock, onReady: @escaping @Sendable () -> Void = {}) {
        self.path = path
        self.clock = clock
        self.onReady = onReady
    }

    /// Ends the child's start (for specs with ``ChildSpec/Readiness/explicit(timeout:)``), like
    /// sd_notify(3)'s `READY=1`; also a heartbeat. Later calls only heartbeat.
    public func ready() {
        heartbeat()
        let first = state.withLock { s -> Bool in
            defer { s.readyReported = true }
            return !s.readyReported
        }
        if first { onReady() }
    }

    /// Records that the child is alive now (`WATCHDOG=1`): resets its liveness deadline and
    /// shows as "last heartbeat age" in status.
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

    /// The OS process id of a process-isolated child (shown in status).
    public func setPID(_ pid: Int32?) {
        state.withLock { $0.pid = pid }
    }

    /// Whether ``ready()`` has been called.
    public var hasReportedReady: Bool { state.withLock { $0.readyReported } }

    /// Whether the supervisor asked this child to stop gracefully.
    public var isShutdownRequested: Bool { state.withLock { $0.shutdownRequested } }

    /// Calls `handler` when a graceful stop is requested (at once if it already was).
    public func onShutdownRequest(_ handler: @escaping @Sendable () -> Void) {
        let runNow = state.withLock { s -> Bool in
            if s.shutdownRequested { return true }
            s.shutdownHandlers.append(handler)
            return false
        }
        if runNow { handler() }
    }

    /// Asks the child to stop gracefully (the supervisor's first stop step).
    func requestShutdown() {
        let handlers = state.withLock { s -> [@Sendable () -> Void] in
            guard !s.shutdownRequested else { return [] }
            s.shutdownRequested = true
            defer { s.shutdownHandlers.removeAll() }
            return s.shutdownHandlers
        }
        for handler in handlers { handler() }
    }

    /// The heartbeat liveness and status count from: the last ``heartbeat()``, or `now` while
    /// the child waits idle and has vouched for it (``vouchIdle(until:)``, ``beginIdle()``), or
    /// the end of such a wait once it is over (if no heartbeat came since).
    /// It is ``livenessBase`` brought back to `now` while a vouched sleep is still to end
    /// (heartbeats are never in the future).
    var lastHeartbeat: Duration? {
        let now = clock.now
        return livenessBase.map { min($0, now) }
    }

    /// The earliest time the liveness deadline counts from: the last ``heartbeat()``, `now`
    /// during an open-ended idle wait, or the end of a vouched sleep (still to come, so that
    /// the supervisor's liveness timer sleeps through it instead of waking every deadline).
    var livenessBase: Duration? {
        let now = clock.now
        return state.withLock { s in
            if s.openIdle > 0 { return now }
            guard let until = s.idleUntil else { return s.lastHeartbeat }
            return max(until, s.lastHeartbeat ?? until)
        }
    }

    /// The child sleeps, idle, until `end` (supervisor clock): alive meanwhile without waking
    /// to heartbeat. Ended by ``endIdle(until:)`` (or by `end` passing).
    func vouchIdle(until end: Duration) {
        state.withLock { $0.idleUntil = end }
    }

    /// Ends the sleep vouched for until `end`, unless a later one replaced it.
    func endIdle(until end: Duration) {
        let now = clock.now
        state.withLock { s in
            guard s.idleUntil == end else { return }
            s.idleUntil = nil
            s.lastHeartbeat = max(now, s.lastHeartbeat ?? now)
        }
    }

    /// The child waits, idle, for an event with no end known (a job, a bounded operation):
    /// alive meanwhile. Balanced by ``endIdle()``.
    func beginIdle() {
        state.withLock { $0.openIdle += 1 }
    }

    /// Ends a ``beginIdle()`` wait; the end counts as a heartbeat.
    func endIdle() {
        let now = clock.now
        state.withLock { s in
            s.openIdle = max(0, s.openIdle - 1)
            s.lastHeartbeat = max(now, s.lastHeartbeat ?? now)
        }
    }
    var degradedReason: String? { state.withLock { $0.degradedReason } }
    var statusText: String? { state.withLock { $0.statusText } }
    var pid: Int32? { state.withLock { $0.pid } }
}
