/// A snapshot of one node and its subtree. JSON field names are part of the admin API
/// (`GET /api/supervisor`, docs/API.md).
public struct NodeStatus: Sendable, Codable, Equatable {
    /// Path from the root, e.g. `deployments/hello/poller`; the root's path is `""`.
    public var path: String
    /// The child id (last path component); `root` for the root.
    public var id: String
    /// `worker` or `supervisor`.
    public var type: ChildType
    /// OTP restart type; `nil` for the root.
    public var restart: RestartType?
    /// Current state; see ``NodeState``.
    public var state: NodeState
    /// Why the node is degraded or failed, when it is.
    public var reason: String?
    /// Last `STATUS=`-style line the child reported.
    public var status: String?
    /// OS process id of a process-isolated child while it runs.
    public var pid: Int32?
    /// Restarts of this child within its supervisor's intensity period.
    public var restartsInWindow: Int
    /// Restarts of this child since its supervisor started.
    public var restartsTotal: Int
    /// How the last incarnation ended: `normal`, `cancelled` or the error's description.
    public var lastExit: String?
    /// Seconds since the current incarnation started; `nil` when not running.
    public var uptimeSeconds: Double?
    /// Seconds until the next restart attempt, while in `backoff`.
    public var nextRestartInSeconds: Double?
    /// Seconds since the child last called ``ChildContext/heartbeat()``.
    public var lastHeartbeatAgeSeconds: Double?
    /// Children, in start order (supervisors only).
    public var children: [NodeStatus]
    /// The rolled-up ``health`` of this subtree as sent in JSON (filled by ``fillHealth()``;
    /// ``Supervisor/status()`` does it).
    public var rolledUpHealth: String? = nil

    enum CodingKeys: String, CodingKey {
        case path, id, type, restart, state, reason, status, pid, restartsInWindow, restartsTotal, lastExit
        case uptimeSeconds, nextRestartInSeconds, lastHeartbeatAgeSeconds, children
        case rolledUpHealth = "health"
    }

    /// Sets ``rolledUpHealth`` on this node and every descendant. Below a node that is not
    /// running, a node that is not `stuck` shows that node's health: its own state is only
    /// what the ended run left (see ``judged``).
    public mutating func fillHealth() {
        rolledUpHealth = health
        let live = [.running, .degraded].contains(state)
        for i in children.indices {
            children[i].fillHealth()
            if !live { children[i].inherit(rolledUpHealth) }
        }
    }

    private mutating func inherit(_ health: String?) {
        if state != .stuck { rolledUpHealth = health }
        for i in children.indices { children[i].inherit(health) }
    }

    /// The subtree's health rolled up over its ``judged`` nodes: `unhealthy` if any is
    /// `failed` or `stuck`, `degraded` if any is `degraded`, `backoff`, `hung` or `starting`,
    /// else `ok`.
    public var health: String {
        let states = Set(judged.map(\.state))
        if !states.isDisjoint(with: [.failed, .stuck]) { return "unhealthy" }
        if !states.isDisjoint(with: [.degraded, .backoff, .hung, .starting]) { return "degraded" }
        return "ok"
    }

    /// The nodes whose state says something about the tree now, depth first, this one first:
    /// every descendant of a running (or degraded) node, and below a node that is not running
    /// only `stuck` ones (an abandoned task still runs). The rest there are what the ended run
    /// of a supervisor left behind — e.g. the `failed` child of a subtree that gave up and
    /// waits in `backoff` for its revival — and would only repeat the ancestor's state.
    public var judged: [NodeStatus] {
        guard [.running, .degraded].contains(state) else {
            return [self] + children.flatMap(\.flattened).filter { $0.state == .stuck }
        }
        return [self] + children.flatMap(\.judged)
    }

    /// Every node of this subtree in depth-first order, this one first.
    public var flattened: [NodeStatus] {
        [self] + children.flatMap(\.flattened)
    }

    /// The node at `path` in this subtree, if any.
    public func find(path: String) -> NodeStatus? {
        flattened.first { $0.path == path }
    }
}
