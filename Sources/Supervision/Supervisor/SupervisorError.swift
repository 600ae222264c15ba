/// Errors of ``Supervisor`` and its runtime API (names follow OTP's `supervisor` errors).
public enum SupervisorError: Error, Sendable, Equatable, CustomStringConvertible {
    /// More than `maxRestarts` restarts within `period`: the supervisor stopped all its
    /// children and ended. `lastReason` is the exit reason that tipped it over.
    case restartIntensityExceeded(supervisor: String, maxRestarts: Int, period: Duration, lastReason: String)
    /// `startChild` with an id that is already a child (OTP `already_present`).
    case alreadyPresent(String)
    /// `restartChild` of a child that is running (OTP `running`).
    case running(String)
    /// `startChild` with the id of a running child (OTP `already_started`).
    case alreadyStarted(String)
    /// `restartChild`/`deleteChild` of a child waiting out its backoff (OTP `restarting`).
    case restarting(String)
    /// An admin restart of a child that ignored cancellation (it still runs; the daemon
    /// needs a restart).
    case stuck(String)
    /// A request queued to a supervisor that stopped or gave up before handling it.
    case notRunning(String)
    /// No child with that id (OTP `not_found`).
    case notFound(String)
    /// `run()` called on a supervisor that is already running.
    case alreadyRunning(String)
    /// A child failed to start during the supervisor's own start; the children already
    /// started were stopped again (OTP: `shutdown` with `{failed_to_start_child, Id, Reason}`).
    case startFailed(supervisor: String, child: String, reason: String)
    /// An admin path that names no node; `valid` lists the paths that exist.
    case invalidPath(String, valid: [String])
    /// A child spec whose fields contradict each other or the supervisor's configuration
    /// (OTP `bad_combination`): a significant child under auto_shutdown `never`, a
    /// significant permanent child, or a revival policy on a child that is not transient or
    /// is significant. `reason` names the fields.
    case badCombination(child: String, reason: String)

    /// Whether this is a supervisor giving up (``restartIntensityExceeded``): as a child's
    /// exit it is OTP's reason `shutdown`.
    public var isGiveUp: Bool {
        if case .restartIntensityExceeded = self { return true }
        return false
    }

    public var description: String {
        switch self {
        case let .restartIntensityExceeded(sup, n, period, reason):
            return "supervisor '\(sup)' exceeded its restart intensity (more than \(n) restarts in \(period.seconds) s); last exit: \(reason)"
        case let .alreadyPresent(id): return "child '\(id)' is already present"
        case let .running(id): return "child '\(id)' is running"
        case let .notFound(id): return "no child '\(id)'"
        case let .alreadyStarted(id): return "child '\(id)' is already started"
        case let .restarting(id): return "child '\(id)' is restarting (in backoff)"
        case let .stuck(id): return "child '\(id)' is stuck: it ignored cancellation and still runs; restart the daemon"
        case let .notRunning(id): return "supervisor '\(id)' stopped before handling the request"
        case let .alreadyRunning(id): return "supervisor '\(id)' is already running"
        case let .startFailed(sup, child, reason):
            return "supervisor '\(sup)' could not start child '\(child)': \(reason)"
        case let .badCombination(child, reason):
            return "child '\(child)' has a bad combination of settings: \(reason)"
        case let .invalidPath(path, valid):
            return "no node '\(path)' in the supervision tree; valid paths: \(valid.joined(separator: ", "))"
        }
    }
}
