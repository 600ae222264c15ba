import Logging
import Supervision
import Synchronization

/// A fault an operator or a test can inject into a running worker of the daemon's tree
/// (`stevedore supervisor fault PATH KIND`, `POST /api/supervisor/fault`), to drill the two
/// tiers of repair. Each is what a real bug looks like to the supervisor:
public enum InjectedFault: String, Sendable, Codable, CaseIterable {
    /// The child throws: an abnormal end, restarted with backoff by its supervisor.
    case `throw`
    /// The child stops heartbeating but still honours cancellation: missed liveness
    /// deadline → `hung` → stopped → restarted in-process (systemd sees nothing).
    case hang
    /// The child traps (`fatalError`): the whole process ends; systemd restarts the daemon
    /// (`Restart=on-failure`).
    case trap
    /// The child stops heartbeating and ignores cancellation: `hung` → `stuck` → the
    /// watchdog pings stop → systemd restarts the daemon at `WatchdogSec=`.
    case ignoreCancellation = "ignore-cancellation"
    /// The child throws now and every later incarnation of it throws as soon as it starts,
    /// until `clear`: a crash loop, e.g. to drive a deployment's subtree past its restart
    /// intensity (it gives up, backs off and is revived, docs/SUPERVISION.md).
    case crashLoop = "crash-loop"
    /// Ends a `crash-loop` at the path (the worker need not be running); its next start runs
    /// its real body again.
    case clear

    /// The allowed names, for error messages.
    public static var allowed: String { allCases.map(\.rawValue).joined(separator: ", ") }
}
