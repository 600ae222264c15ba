/// The recipe for one supervised child (OTP "child specification"), plus Stevedore's
/// additions: readiness, liveness deadline and graceful-stop signal.
///
/// `start` is called afresh for every (re)start and runs the child's whole life: returning
/// is a normal end, throwing is an abnormal end, and the child must end promptly when its
/// task is cancelled.
public struct ChildSpec: Sendable {
    /// When a start is complete (OTP: `start_link` returning).
    public enum Readiness: Sendable, Equatable {
        /// As soon as the child's task is launched.
        case immediate
        /// When the child calls ``ChildContext/ready()`` (a process child: `READY=1`); `nil`
        /// waits without limit (nested supervisors). Ending or timing out first is a failed
        /// start.
        case explicit(timeout: Duration?)
    }

    /// Unique among its siblings; also the last component of the child's path.
    public let id: String
    /// Restart type (OTP `restart`).
    public var restart: RestartType
    /// Shutdown policy (OTP `shutdown`). Default: 5 s for workers, `.infinity` for supervisors.
    public var shutdown: ShutdownPolicy
    /// Worker or supervisor (OTP `type`).
    public let type: ChildType
    /// Runs one incarnation of the child.
    public let start: @Sendable (ChildContext) async throws -> Void
    /// For supervisor children: the supervisor, so that status and admin actions by path can
    /// descend into it.
    public let supervisor: Supervisor?
    /// OTP `significant`: with the supervisor's ``AutoShutdown`` other than `.never`, this
    /// child ending on its own (not restarted) can end the supervisor. Only transient and
    /// temporary children under a supervisor whose auto_shutdown is not `never` may be
    /// significant; otherwise starting it throws ``SupervisorError/badCombination(child:reason:)``
    /// (OTP `bad_combination`).
    public var significant: Bool = false
    /// When the start is complete; default `.immediate` for workers.
    public var readiness: Readiness = .immediate
    /// Liveness deadline: a running child that does not call ``ChildContext/heartbeat()``
    /// for this long is `hung`: it is stopped and restarted like a failure. `nil`: no deadline.
    public var liveness: Duration?
    /// Whether the child listens for ``ChildContext/onShutdownRequest(_:)`` before being
    /// cancelled. `false` (default): stopping it cancels its task at once.
    public var gracefulStop: Bool = false
    /// This child's backoff between restarts, instead of its supervisor's (e.g. a child whose
    /// repair must finish within an outside deadline, like systemd's `WatchdogSec=`). `nil`:
    /// the supervisor's ``SupervisorConfiguration/backoff``.
    public var backoff: BackoffPolicy? = nil
    /// Beyond OTP: for a transient supervisor child, what happens after it gives up. Under
    /// OTP's rules a supervisor that exceeds its restart intensity ends with reason
    /// `shutdown`, and its parent does not restart a transient child for that reason; with a
    /// policy here the parent starts it afresh after this backoff (the n-th consecutive
    /// revival waits `delay(attempt: n)`; the count resets once it has stayed up for
    /// `resetAfter`). A revival is not a restart: it does not count toward the parent's
    /// intensity, so a subtree that keeps failing never makes its parent give up. Meanwhile
    /// the child shows `backoff` with the reason and the time of the next start. `nil`
    /// (default): OTP's behaviour, the child stays `failed`. Only for transient, not
    /// significant children (else ``SupervisorError/badCombination(child:reason:)``).
    public var revival: BackoffPolicy? = nil

    /// A child with every field given.
    public init(
        id: String, restart: RestartType, shutdown: ShutdownPolicy, type: ChildType,
        significant: Bool = false, readiness: Readiness = .immediate, liveness: Duration? = nil,
        gracefulStop: Bool = false, supervisor: Supervisor? = nil,
        start: @escaping @Sendable (ChildContext) async throws -> Void
    ) {
        self.id = id
        self.restart = restart
        self.shutdown = shutdown
        self.type = type
        self.significant = significant
        self.readiness = readiness
        self.liveness = liveness
        self.gracefulStop = gracefulStop
        self.supervisor = supervisor
        self.start = start
    }

    /// A worker child.
    ///
    /// - Parameters:
    ///   - id: sibling-unique name, `[A-Za-z0-9_.-]+` by convention (it appears in paths).
    ///   - restart: OTP restart type; default `.permanent`.
    ///   - shutdown: default 5 seconds.
    ///   - significant: see ``significant``.
    ///   - readiness: default `.immediate`.
    ///   - liveness: heartbeat deadline; default none.
    ///   - gracefulStop: see ``gracefulStop``; default `false`.
    ///   - start: the child's body, called afresh on each start.
    public static func worker(
        _ id: String,
        restart: RestartType = .permanent,
        shutdown: ShutdownPolicy = .timeout(.seconds(5)),
        significant: Bool = false,
        readiness: Readiness = .immediate,
        liveness: Duration? = nil,
        gracefulStop: Bool = false,
        start: @escaping @Sendable (ChildContext) async throws -> Void
    ) -> ChildSpec {
        ChildSpec(
            id: id, restart: restart, shutdown: shutdown, type: .worker, significant: significant,
            readiness: readiness, liveness: liveness, gracefulStop: gracefulStop, start: start)
    }

    /// A supervisor child: starting it runs `supervisor`, and the start completes when all of
    /// the nested supervisor's children have started. A restart re-runs the same supervisor
    /// (with its current child specs) from a clean runtime state.
    ///
    /// - Parameters:
    ///   - supervisor: the nested supervisor; its ``Supervisor/id`` is the child id.
    ///   - restart: OTP restart type; default `.permanent`.
    ///   - shutdown: default `.infinity`, as OTP recommends for supervisors.
    ///   - significant: see ``significant``.
    ///   - revival: see ``revival``; default none (OTP).
    public static func supervisor(
        _ supervisor: Supervisor,
        restart: RestartType = .permanent,
        shutdown: ShutdownPolicy = .infinity,
        significant: Bool = false,
        revival: BackoffPolicy? = nil
    ) -> ChildSpec {
        var spec = ChildSpec(
            id: supervisor.id, restart: restart, shutdown: shutdown, type: .supervisor, significant: significant,
            readiness: .explicit(timeout: nil), gracefulStop: true, supervisor: supervisor,
            start: { context in try await supervisor.run(path: context.path, context: context) })
        spec.revival = revival
        return spec
    }
}
