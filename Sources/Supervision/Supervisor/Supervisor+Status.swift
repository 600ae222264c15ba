// Beyond OTP: status snapshots of the subtree (which_children with runtime detail).
import Foundation

extension Supervisor {
    /// The supervisor and its subtree as a snapshot.
    public func status() async -> NodeStatus {
        let now = clock.now
        let (state, reason): (NodeState, String?) =
            switch phase {
            case .idle, .stopped, .stopping: (.stopped, nil)
            case .starting: (.starting, nil)
            case .running: (.running, nil)
            case .failed(let why): (.failed, why)
            }
        var node = NodeStatus(
            path: path, id: path.isEmpty ? "root" : id, type: .supervisor, restart: nil,
            state: state, reason: reason, status: nil, pid: nil,
            restartsInWindow: window.count(now: now, period: configuration.intensity.period),
            restartsTotal: records.reduce(0) { $0 + $1.restartsTotal },
            lastExit: nil, uptimeSeconds: phase == .running ? startedAt.map { (now - $0).seconds } : nil,
            nextRestartInSeconds: nil, lastHeartbeatAgeSeconds: nil,
            children: await childStatuses(under: path))
        node.fillHealth()
        return node
    }

    /// Snapshots of the children, each path prefixed with `parentPath`.
    func childStatuses(under parentPath: String) async -> [NodeStatus] {
        let now = clock.now
        var result: [NodeStatus] = []
        for record in records {
            let childPath = parentPath.isEmpty ? record.spec.id : "\(parentPath)/\(record.spec.id)"
            var node = record.snapshot(path: childPath, now: now, period: configuration.intensity.period)
            if let nested = record.spec.supervisor {
                node.children = await nested.childStatuses(under: childPath)
            }
            result.append(node)
        }
        return result
    }

    /// `true` when no event is queued or being handled and no child is starting, in backoff
    /// or hung, here and in every nested supervisor. For tests of the loop.
    public func isSettled() async -> Bool {
        guard queued == 0, !processing else { return false }
        for record in records {
            if [.starting, .backoff, .hung].contains(record.state) { return false }
            if let nested = record.spec.supervisor, record.isRunning, !(await nested.isSettled()) { return false }
        }
        return true
    }
}
