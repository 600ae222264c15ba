/// When a child is restarted after it ends. Source: Erlang/OTP `supervisor`, child spec `restart`.
public enum RestartType: String, Sendable, Codable {
    /// Always restarted, whether it returned or threw.
    case permanent
    /// Restarted only after an abnormal end (a thrown error); a normal return is final.
    case transient
    /// Never restarted.
    case temporary
}

/// Whether a child is a plain worker or a supervisor of its own subtree (OTP child `type`).
public enum ChildType: String, Sendable, Codable {
    case worker
    case supervisor
}

/// How long a supervisor waits for a child to end after cancelling it (OTP child `shutdown`).
public enum ShutdownPolicy: Sendable, Equatable {
    /// Wait at most this long after cancellation; a child still running then is reported
    /// `stuck` and abandoned, so the supervisor itself never hangs on it.
    case timeout(Duration)
    /// Wait as long as it takes (the OTP default for supervisor children).
    case infinity
}

/// The recipe for one supervised child (OTP "child specification").
///
/// `start` is called afresh for every (re)start and runs the child's whole life: returning
/// is a normal end, throwing is an abnormal end, and the child should end promptly when its
/// task is cancelled.
public struct ChildSpec: Sendable {
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
    /// For supervisor children: the supervisor, so that status snapshots can descend into it.
    public let supervisor: Supervisor?

    /// A worker child.
    ///
    /// - Parameters:
    ///   - id: sibling-unique name, `[A-Za-z0-9_.-]+` by convention (it appears in paths).
    ///   - restart: OTP restart type; default `.permanent`.
    ///   - shutdown: how long to wait after cancellation; default 5 seconds.
    ///   - start: the child's body, called afresh on each start.
    public static func worker(
        _ id: String,
        restart: RestartType = .permanent,
        shutdown: ShutdownPolicy = .timeout(.seconds(5)),
        start: @escaping @Sendable (ChildContext) async throws -> Void
    ) -> ChildSpec {
        ChildSpec(id: id, restart: restart, shutdown: shutdown, type: .worker, start: start, supervisor: nil)
    }

    /// A supervisor child: starting it runs `supervisor`; its restart re-runs the same
    /// supervisor (with its current child specs) from a clean runtime state.
    ///
    /// - Parameters:
    ///   - supervisor: the nested supervisor; its ``Supervisor/id`` is the child id.
    ///   - restart: OTP restart type; default `.permanent`.
    ///   - shutdown: default `.infinity`, as OTP recommends for supervisors.
    public static func supervisor(
        _ supervisor: Supervisor,
        restart: RestartType = .permanent,
        shutdown: ShutdownPolicy = .infinity
    ) -> ChildSpec {
        ChildSpec(
            id: supervisor.id, restart: restart, shutdown: shutdown, type: .supervisor,
            start: { context in try await supervisor.run(path: context.path) },
            supervisor: supervisor)
    }
}
