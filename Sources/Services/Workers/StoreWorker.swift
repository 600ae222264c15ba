import Foundation
import Logging
import Store
import Supervision

/// The `store` child: owns the database handle's health and the state disk's.
///
/// - Every 15 s (or each heartbeat interval, if shorter) it runs a cheap query; if that fails
///   it reopens the handle, and if reopening fails it throws so that its supervisor restarts
///   it with backoff (and, past the restart intensity, escalates).
/// - Every 10 s while the state disk is fine (more than 256 MiB free, no refused write),
///   every 2 s otherwise (or each heartbeat interval, if shorter), it looks at the state disk: a write
///   the filesystem refused (``Store/StorageFaults``: `ENOSPC`, `EROFS`) or `statvfs(3)`
///   saying read-only or almost full (``StateDiskCheck``) makes it `degraded` with the reason,
///   and while almost full every commit is refused (``Store/StorageFaults/lowSpace``),
///   e.g. `state disk full: /opt/stevedore/system (ENOSPC): …`. Not a failure: the workloads
///   keep running, reads keep working, and a restart of Stevedore would not free the disk.
/// - While a refused write is reported it tries one real write (``Store/StateStore/probeWrite()``)
///   per look, reopening the handle first when the filesystem was read-only (a repaired
///   filesystem comes back as a new mount); once it succeeds, what was refused meanwhile (the
///   ends of runs) is written and `degraded` clears: no operator action and no restart.
public enum StoreWorker {
    /// Seconds between read checks.
    public static let checkInterval = 15
    /// Seconds between looks at the state disk while something is wrong with it (or less
    /// than ``roomyBytes`` are free).
    public static let diskInterval = 2
    /// Seconds between looks at the state disk while it is fine: an idle daemon wakes for it
    /// 6 times a minute, not 30 (filling 256 MiB takes an SD card longer than that).
    public static let healthyDiskInterval = 10
    /// Free bytes above which the state disk is looked at only every ``healthyDiskInterval``: 256 MiB.
    public static let roomyBytes: Int64 = 256 << 20

    /// The child spec (permanent worker).
    ///
    /// - Parameter root: the state root, whose filesystem is checked with `statvfs(3)`;
    ///   default the database's directory.
    public static func spec(store: StateStore, root: String? = nil, timing: WorkerTiming = WorkerTiming(), logger: Logger) -> ChildSpec {
        .worker("store", liveness: timing.livenessDeadline) { context in
            let clock = ContinuousClock()
            let disk = root ?? (store.path as NSString).deletingLastPathComponent
            var lastCheck: ContinuousClock.Instant?
            var reported: String?
            var since: ContinuousClock.Instant?
            while !Task.isCancelled {
                if lastCheck.map({ clock.now - $0 >= min(.seconds(checkInterval), timing.heartbeatInterval) }) ?? true {
                    do {
                        try await store.check()
                    } catch let error as StoreError where error.isStorageFault {
                        // A read refused for lack of space (a temporary table): the disk check reports it.
                    } catch {
                        logger.error("state database check failed; reopening", metadata: ["error": "\(error)"])
                        try await store.reopen()
                    }
                    lastCheck = clock.now
                }
                let check = StateDiskCheck.measure(disk)
                store.faults.setLowSpace(check.map { !$0.readOnly && $0.isAlmostFull } ?? false)
                var problem = check?.problem
                if store.faults.current != nil {
                    problem = await probe(store) ?? problem
                }
                if problem != reported {
                    if let problem {
                        logger.error("state disk: \(problem)")
                        since = since ?? clock.now
                    } else if let began = since {
                        logger.notice(
                            "state disk writable again; what was refused meanwhile is recorded",
                            metadata: ["after_seconds": "\((clock.now - began).components.seconds)"])
                        since = nil
                    }
                    reported = problem
                }
                context.setDegraded(problem)
                context.setStatus(problem == nil ? "open: \(store.path)" : "refused writes: \(store.faults.refusedWrites)")
                let fine = problem == nil && store.faults.current == nil && (check?.freeBytes ?? 0) > roomyBytes
                try await context.sleep(
                    for: min(.seconds(fine ? healthyDiskInterval : diskInterval), timing.heartbeatInterval),
                    heartbeatEvery: timing.heartbeatInterval)
            }
        }
    }

    /// One write; `nil` if it worked, else the reason. A read-only filesystem may have been
    /// repaired and mounted anew: if the database file is another one now, the handle is
    /// reopened and the write tried once more (``Store/StateStore/reopenIfReplaced()``: never
    /// the same file again, which leaked a descriptor per look).
    private static func probe(_ store: StateStore) async -> String? {
        do {
            try await store.probeWrite()
            return nil
        } catch let error as StoreError {
            guard case .readOnly = error else { return error.description }
            do {
                guard try await store.reopenIfReplaced() else { return error.description }
                try await store.probeWrite()
                return nil
            } catch {
                return "\(error)"
            }
        } catch {
            return "\(error)"
        }
    }
}
