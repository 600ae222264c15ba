/// A supervisor's runtime bookkeeping for one child. Confined to its ``Supervisor`` actor.
final class ChildRecord {
    let spec: ChildSpec
    var state: NodeState = .stopped
    var reason: String?
    var task: Task<Void, Never>?
    /// Bumped on every start; exits and timers of older incarnations are ignored.
    var generation = 0
    var startedAt: Duration?
    var stopRequested = false
    /// Set when a stop meant to be followed by a start (liveness repair, admin restart) found
    /// the child stuck: if its task ever ends after all, it is restarted then.
    var restartWhenStuckEnds = false
    /// The exit reason to restart with when that happens (`hung: …`).
    var pendingRepairReason: ExitReason?
    var context: ChildContext?
    var lastExit: ExitReason?
    var restartsTotal = 0
    var restartStamps = RestartWindow()
    /// Consecutive restarts since the child last stayed up for the backoff reset time.
    var consecutiveRestarts = 0
    /// Consecutive revivals (``ChildSpec/revival``) since it last stayed up long enough.
    var revivals = 0
    /// Whether the pending restart timer is a revival (outside the intensity).
    var revivalDue = false
    var nextRestartAt: Duration?
    var restartTimer: Task<Void, Never>?
    /// Ids restarted together when ``restartTimer`` fires (strategy group, in start order).
    var restartGroup: [String] = []
    var livenessTimer: Task<Void, Never>?
    var readyWaiter: CheckedContinuation<StartOutcome, Never>?
    var readyTimer: Task<Void, Never>?
    var exitWaiters: [Int: CheckedContinuation<Bool, Never>] = [:]
    var waiterTimers: [Int: Task<Void, Never>] = [:]

    init(spec: ChildSpec) { self.spec = spec }

    var isRunning: Bool { task != nil }

    /// Forgets counters of a previous run of the supervisor (OTP restarts a supervisor fresh).
    /// A child whose task still runs after being abandoned stays `stuck`: a new run of its
    /// supervisor must neither forget it nor start a second instance beside it.
    func resetForNewRun() {
        if isRunning, state == .stuck {
            // The new run wants it running: start it once the abandoned task ends.
            restartWhenStuckEnds = true
            pendingRepairReason = pendingRepairReason ?? .error("its supervisor restarted while it was stuck")
            return
        }
        restartsTotal = 0
        restartStamps.reset()
        consecutiveRestarts = 0
        revivals = 0
        lastExit = nil
        reason = nil
        stopRequested = false
        state = .stopped
    }

    /// This child as ``RestartPlan`` sees it.
    var planned: RestartPlan.Child { RestartPlan.Child(id: spec.id, restart: spec.restart, isRunning: isRunning) }

    func cancelTimers() {
        revivalDue = false
        restartTimer?.cancel()
        restartTimer = nil
        livenessTimer?.cancel()
        livenessTimer = nil
        nextRestartAt = nil
        restartGroup = []
    }

    /// Resumes everyone waiting for this incarnation to end.
    func resumeExitWaiters() {
        for (_, timer) in waiterTimers { timer.cancel() }
        waiterTimers.removeAll()
        let waiters = exitWaiters
        exitWaiters.removeAll()
        for (_, waiter) in waiters { waiter.resume(returning: true) }
    }

    func snapshot(path: String, now: Duration, period: Duration) -> NodeStatus {
        var state = self.state
        var reason = self.reason
        if state == .running, let degraded = context?.degradedReason {
            state = .degraded
            reason = degraded
        }
        return NodeStatus(
            path: path, id: spec.id, type: spec.type, restart: spec.restart,
            state: state, reason: reason,
            status: isRunning ? context?.statusText : nil,
            pid: isRunning ? context?.pid : nil,
            restartsInWindow: restartStamps.count(now: now, period: period),
            restartsTotal: restartsTotal,
            lastExit: lastExit?.description,
            uptimeSeconds: startedAt.map { (now - $0).seconds },
            nextRestartInSeconds: nextRestartAt.map { max((($0 - now).seconds), 0) },
            // A supervisor beats only once (its READY): an age would just grow and mislead.
            lastHeartbeatAgeSeconds: isRunning && spec.type == .worker ? context?.lastHeartbeat.map { (now - $0).seconds } : nil,
            children: [])
    }
}
