import Foundation

/// Finding and killing the subprocesses an earlier daemon left running: one killed with
/// SIGKILL (outside systemd, whose `KillMode=` would end its whole cgroup) cannot take its
/// children along, and ``ProcessRunner`` starts each in a process group of its own, so they go
/// on beside the next daemon's own runs (a second `compose up` of the same project, a second
/// `git fetch` into the same checkout).
///
/// Reads `/proc/PID/cmdline` and `/proc/PID/environ`, so it sees only the processes of the same
/// user (or all, as root).
public enum LeftoverProcesses {
    /// One process as `/proc` shows it.
    public struct Entry: Sendable {
        /// Its pid.
        public var pid: pid_t
        /// `argv`, split at NUL bytes.
        public var arguments: [String]
        /// Reads its environment (`NAME=value` entries) on demand: `nil` when unreadable.
        public var environment: @Sendable () -> [String]?
    }

    /// Kills, with SIGKILL, the process group of every process for which `matches` holds,
    /// each group once (a subshell or a child has the same group), never the caller's own group
    /// nor groups 0 and 1.
    ///
    /// - Returns: the process groups killed.
    @discardableResult
    public static func killGroups(where matches: (Entry) -> Bool) -> [pid_t] {
        var killed: [pid_t] = []
        let me = getpgrp()
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
            guard let pid = pid_t(entry), pid != getpid(),
                let argv = FileManager.default.contents(atPath: "/proc/\(entry)/cmdline")?.split(separator: 0).map({
                    String(decoding: $0, as: UTF8.self)
                }), !argv.isEmpty
            else { continue }
            let process = Entry(
                pid: pid, arguments: argv,
                environment: {
                    FileManager.default.contents(atPath: "/proc/\(entry)/environ")?.split(separator: 0).map {
                        String(decoding: $0, as: UTF8.self)
                    }
                })
            guard matches(process) else { continue }
            let group = getpgid(pid)
            guard group > 1, group != me, !killed.contains(group) else { continue }
            if Glibc.kill(-group, SIGKILL) == 0 { killed.append(group) }
        }
        return killed
    }
}
