// OTP supervisor: restart strategies — which children go down and come back when one ends.

/// Which children a supervisor stops, restarts and deletes when one child ends and is to be
/// restarted, by strategy and restart type (source: OTP `supervisor` reference manual,
/// "Restart Strategy", and Design Principles, "Restart Strategy"). Pure: tested without a
/// supervisor.
///
/// - one_for_one: only the child that ended.
/// - one_for_all: every child; the others are stopped in reverse start order.
/// - rest_for_one: the child and every child after it in start order; those are stopped in
///   reverse start order.
///
/// Temporary children in the group are stopped and their specs deleted, never restarted.
struct RestartPlan: Equatable {
    /// One child as the plan sees it, in start order.
    struct Child: Equatable {
        var id: String
        var restart: RestartType
        var isRunning: Bool
    }

    /// Running siblings to stop first, in the order to stop them (reverse start order).
    var stop: [String]
    /// Children to start again after the backoff delay, in start order (the ended child
    /// included, wherever it stands).
    var restart: [String]
    /// Temporary children of the group, whose specs are deleted (OTP).
    var delete: [String]

    /// Whether a child of restart type `type` is restarted after ending with `reason` (OTP:
    /// permanent always; transient only for a reason other than `normal` or `shutdown`;
    /// temporary never).
    static func restarts(_ type: RestartType, after reason: ExitReason) -> Bool {
        switch type {
        case .permanent: true
        case .transient: reason.isAbnormal
        case .temporary: false
        }
    }
}

extension RestartPlan {
    /// The plan for `ended` ending under `strategy`, with `children` in start order.
    init(strategy: RestartStrategy, ended: String, children: [Child]) {
        let index = children.firstIndex { $0.id == ended } ?? 0
        let group: ArraySlice<Child> =
            switch strategy {
            case .oneForOne: children.filter { $0.id == ended }[...]
            case .oneForAll: children[...]
            case .restForOne: children[index...]
            }
        stop = group.reversed().filter { $0.id != ended && $0.isRunning }.map(\.id)
        restart = group.filter { $0.id == ended || $0.restart != .temporary }.map(\.id)
        delete = group.filter { $0.id != ended && $0.restart == .temporary }.map(\.id)
    }
}
