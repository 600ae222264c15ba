import Supervision

/// The daemon's health as both `GET /healthz` and the `health-watchdog` child judge it, from a
/// snapshot of the supervision tree (docs/SUPERVISION.md, "Two tiers of repair").
///
/// - **unhealthy** (503; systemd watchdog pings stop): the root is not running; a node is
///   `stuck` (ignored cancellation: only a restart of the process clears it); a critical child
///   (a direct child of the root) is `failed` (the root gave up on it); or a critical child (a direct child of the root) is running
///   without a heartbeat for longer than the stale limit, which means the supervisor's own
///   liveness check is not getting through.
/// - **degraded** (200): nodes `degraded` (an external dependency is down: Docker engine,
///   Git remote), in restart `backoff`, `hung` (being repaired in-process), `failed` below a
///   critical child (its supervisor is giving up; its parent restarts or revives it), or a
///   critical child stopped by an operator. A restart of Stevedore would not fix any of these.
/// - **ok**: everything else.
///
/// Only ``Supervision/NodeStatus/judged`` nodes count: below a subtree that is not running
/// (stopped, or in `backoff` for its revival after giving up) only `stuck` nodes do.
public struct TreeHealth: Sendable, Equatable {
    /// The rolled-up verdict.
    public enum Level: String, Sendable, Codable {
        case ok, degraded, unhealthy
    }

    /// The verdict.
    public var level: Level
    /// Nodes that make it unhealthy, with the reason.
    public var unhealthy: [PathReason]
    /// Nodes that make it degraded, with the reason.
    public var degraded: [PathReason]

    /// Judges `tree` (the root's snapshot).
    ///
    /// - Parameter staleHeartbeatSeconds: a running critical worker whose last heartbeat is
    ///   older than this (seconds) is unhealthy; `nil` skips the check. The daemon uses twice
    ///   the liveness deadline: by then the supervisor should already have stopped it as hung.
    public static func assess(_ tree: NodeStatus, staleHeartbeatSeconds: Double?) -> TreeHealth {
        var unhealthy: [PathReason] = []
        var degraded: [PathReason] = []
        if tree.state != .running {
            unhealthy.append(PathReason(path: "root", state: tree.state.rawValue, reason: tree.reason))
        }
        let critical = Set(tree.children.map(\.path))
        for node in tree.judged where !node.path.isEmpty {
            let why = node.reason ?? node.lastExit
            switch node.state {
            case .stuck:
                unhealthy.append(PathReason(path: node.path, state: node.state.rawValue, reason: why))
            case .failed where critical.contains(node.path):
                unhealthy.append(PathReason(path: node.path, state: node.state.rawValue, reason: why))
            case .failed:
                // Below a critical child, a failed node's supervisor is giving up and ends in
                // turn; its own parent restarts or revives it. The snapshot is taken level by
                // level, so it can show the child failed while that supervisor still shows
                // running (found in a full run): degraded, as the subtree's backoff will be.
                degraded.append(PathReason(path: node.path, state: node.state.rawValue, reason: why))
            case .degraded, .backoff, .hung:
                degraded.append(PathReason(path: node.path, state: node.state.rawValue, reason: why))
            case .stopped where critical.contains(node.path):
                degraded.append(PathReason(path: node.path, state: node.state.rawValue, reason: why ?? "stopped"))
            case .running, .starting, .stopped:
                break
            }
            if critical.contains(node.path), node.type == .worker, [.running, .degraded].contains(node.state),
                let limit = staleHeartbeatSeconds, let age = node.lastHeartbeatAgeSeconds, age > limit
            {
                unhealthy.append(
                    PathReason(
                        path: node.path, state: node.state.rawValue,
                        reason: "no heartbeat for \(Int(age)) s (limit \(Int(limit)) s)"))
            }
        }
        let level: Level = !unhealthy.isEmpty ? .unhealthy : (degraded.isEmpty ? .ok : .degraded)
        return TreeHealth(level: level, unhealthy: unhealthy, degraded: degraded)
    }

    /// One line for systemd's `STATUS=` (shown by `systemctl status`), e.g.
    /// `ok: 5/5 subsystems running; 2 deployments (2 ok); 0 restarts`, followed by the first
    /// problem when there is one. Holds no clock values, so it changes only when the tree does.
    public static func statusLine(_ tree: NodeStatus, staleHeartbeatSeconds: Double?) -> String {
        let health = assess(tree, staleHeartbeatSeconds: staleHeartbeatSeconds)
        let critical = tree.children
        let running = critical.filter { [.running, .degraded].contains($0.state) }.count
        let deployments = tree.children.first { $0.id == "deployments" && $0.type == .supervisor }?.children ?? []
        let deploymentsOK = deployments.filter { $0.health == "ok" }.count
        let restarts = tree.flattened.dropFirst().reduce(0) { $0 + $1.restartsTotal }
        var line =
            "\(health.level.rawValue): \(running)/\(critical.count) subsystems running; "
            + "\(deployments.count) deployment\(deployments.count == 1 ? "" : "s") (\(deploymentsOK) ok); "
            + "\(restarts) restart\(restarts == 1 ? "" : "s")"
        if let first = (health.unhealthy + health.degraded).first {
            line += "; \(first.path) \(first.state)" + (first.reason.map { ": \($0)" } ?? "")
        }
        return String(line.prefix(300))
    }
}
