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

    /// Zombie processes whose parent is this process.
    ///
    /// Reads only this process's children: `/proc/self/task/*/children` (each thread's
    /// children, proc(5); an orphan is reparented to one of our threads) and then each child's
    /// `/proc/PID/stat`, with plain read(2) (no Foundation strings). The scan of every process
    /// of the host (`/proc/*/stat`) it replaces was 30 % of the idle daemon's CPU on a machine
    /// with a hundred processes (70 ms a minute). Without `children` files (a kernel without
    /// CONFIG_PROC_CHILDREN) it falls back to that scan.
    public static func zombieChildren() -> Set<pid_t> {
        let me = getpid()
        var zombies: Set<pid_t> = []
        for pid in children() ?? allProcesses() {
            guard let stat = ProcFile.readToEnd("/proc/\(pid)/stat", limit: 64 << 10), let close = stat.lastIndex(of: UInt8(ascii: ")"))
            else { continue }
            // After "pid (comm)": " S ppid ..."
            let fields = stat[(close + 1)...].split(separator: UInt8(ascii: " "))
            guard fields.count > 2, fields[0].elementsEqual("Z".utf8), number(fields[1]) == me else { continue }
            zombies.insert(pid)
        }
        return zombies
    }

    /// The pids in this process's threads' `children` files; `nil` when the kernel has none.
    static func children() -> [pid_t]? {
        guard let tasks = try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task") else { return nil }
        var pids: [pid_t] = []
        var readAny = false
        for task in tasks {
            guard let text = ProcFile.readToEnd("/proc/self/task/\(task)/children", limit: 64 << 10) else { continue }
            readAny = true
            pids += text.split(whereSeparator: { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\n") }).compactMap(number)
        }
        return readAny ? pids : nil
    }

    /// Every pid in `/proc`.
    static func allProcesses() -> [pid_t] {
        ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).compactMap { pid_t($0) }
    }

    /// A decimal pid (1 to 10 digits, no sign); `nil` for anything else.
    static func number(_ digits: ArraySlice<UInt8>) -> pid_t? {
        guard (1...10).contains(digits.count) else { return nil }
        var value: Int64 = 0
        for digit in digits {
            guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(digit) else { return nil }
            value = value * 10 + Int64(digit - UInt8(ascii: "0"))
        }
        return pid_t(exactly: value)
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
