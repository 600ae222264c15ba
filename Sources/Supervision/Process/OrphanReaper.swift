import CSupervisionShims
import Foundation
import Synchronization

/// Makes the daemon a child subreaper (prctl(2) `PR_SET_CHILD_SUBREAPER`) and reaps the
/// orphaned descendants that get reparented to it (e.g. a compose or git grandchild whose
/// parent died), so that no zombie accumulates.
///
/// It never steals an exit status from code that waits for its own children (Subprocess,
/// Foundation's `Process`): a zombie child of ours is reaped only when it has been a zombie on
/// two consecutive scans — an owner waits for its child at once, an orphan has no owner.
public enum OrphanReaper {
    /// Children whose exit status their spawner waits for (``own(_:)``): never reaped here,
    /// however long they stay zombies. The two-scan rule alone let a slow waiter lose the
    /// race: a SIGKILLed process child reaped here was never seen to exit by Subprocess, so
    /// its supervisor never restarted it (suspected in a loaded end-to-end run).
    private static let owned = Mutex<Set<pid_t>>([])

    /// Marks `pid` as a child whose spawner reaps it (e.g. a process child's incarnation).
    public static func own(_ pid: pid_t) { _ = owned.withLock { $0.insert(pid) } }

    /// Undoes ``own(_:)`` once the spawner has reaped `pid`.
    public static func disown(_ pid: pid_t) { _ = owned.withLock { $0.remove(pid) } }

    /// Marks this process as a child subreaper.
    ///
    /// - Throws: `POSIXError` if prctl(2) refuses.
    public static func enable() throws {
        guard stevedore_set_child_subreaper() == 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EPERM) }
    }

    /// Stops being a child subreaper (tests that must not change the whole test process).
    public static func disable() {
        _ = stevedore_clear_child_subreaper()
    }

    /// Whether this process is a child subreaper.
    public static var isEnabled: Bool { stevedore_is_child_subreaper() == 1 }

    /// Zombie processes whose parent is this process, from `/proc/*/stat`.
    public static func zombieChildren() -> Set<pid_t> {
        let me = getpid()
        var zombies: Set<pid_t> = []
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return [] }
        for entry in entries {
            guard let pid = pid_t(entry), let stat = try? String(contentsOfFile: "/proc/\(entry)/stat", encoding: .utf8),
                let close = stat.lastIndex(of: ")")
            else { continue }
            // After "pid (comm)": " S ppid ..."
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            guard fields.count > 2, fields[0] == "Z", pid_t(fields[1]) == me else { continue }
            zombies.insert(pid)
        }
        return zombies
    }

    /// One pass: reaps the zombies that were already zombies in `previous`.
    ///
    /// - Parameter only: restrict reaping to these pids (tests); `nil` for all.
    /// - Returns: the zombies seen now (pass them as `previous` next time) and the pids reaped.
    public static func reap(previous: Set<pid_t>, only: Set<pid_t>? = nil) -> (seen: Set<pid_t>, reaped: [pid_t]) {
        var now = zombieChildren().subtracting(owned.withLock { $0 })
        if let only { now.formIntersection(only) }
        var reaped: [pid_t] = []
        for pid in now.intersection(previous) {
            var status: Int32 = 0
            if waitpid(pid, &status, WNOHANG) == pid { reaped.append(pid) }
        }
        return (now.subtracting(reaped), reaped)
    }

    /// A permanent worker that enables subreaping and reaps orphans every `interval`
    /// (heartbeating each pass).
    ///
    /// - Parameter liveness: the worker's liveness deadline, if any; keep it above `interval`.
    public static func spec(id: String = "reaper", interval: Duration = .seconds(2), liveness: Duration? = nil) -> ChildSpec {
        .worker(id, liveness: liveness) { context in
            try enable()
            var previous: Set<pid_t> = []
            while true {
                let pass = reap(previous: previous)
                previous = pass.seen
                if !pass.reaped.isEmpty { context.setStatus("reaped \(pass.reaped.count) orphan(s), last pid \(pass.reaped.last!)") }
                context.heartbeat()
                try await Task.sleep(for: interval)
            }
        }
    }
}
