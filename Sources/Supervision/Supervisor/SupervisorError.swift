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
    /// An operator action on a node whose supervisor is not running (e.g. a subtree that gave
    /// up and waits for its revival): nothing there would start. `parent` is that
    /// supervisor's path, `state` its state; act on `parent` instead.
    case parentNotRunning(path: String, parent: String, state: String)
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
        case .restartIntensityExceeded(let sup, let n, let period, let reason):
            return
                "supervisor '\(sup)' exceeded its restart intensity (more than \(n) restart\(n == 1 ? "" : "s") in \(Supervisor.formatSeconds(period)) s); last exit: \(reason)"
        case .alreadyPresent(let id): return "child '\(id)' is already present"
        case .running(let id): return "child '\(id)' is running"
        case .notFound(let id): return "no child '\(id)'"
        case .alreadyStarted(let id): return "child '\(id)' is already started"
        case .restarting(let id): return "child '\(id)' is restarting (in backoff)"
        case .stuck(let id): return "child '\(id)' is stuck: it ignored cancellation and still runs; restart the daemon"
        case .notRunning(let id): return "supervisor '\(id)' stopped before handling the request"
        case .alreadyRunning(let id): return "supervisor '\(id)' is already running"
        case .startFailed(let sup, let child, let reason):
            return "supervisor '\(sup)' could not start child '\(child)': \(reason)"
        case .parentNotRunning(let path, let parent, let state):
            return "'\(path)' cannot be acted on while its supervisor '\(parent)' is not running (\(state)); restart '\(parent)' instead"
        case .badCombination(let child, let reason):
            return "child '\(child)' has a bad combination of settings: \(reason)"
        case .invalidPath(let path, let valid):
            return "no node '\(path)' in the supervision tree; valid paths: \(valid.joined(separator: ", "))"
        }
    }
}
