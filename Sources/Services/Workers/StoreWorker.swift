import Logging
import Store
import Supervision

/// The `store` child: owns the database handle's health. Every 15 s (or each heartbeat
/// interval, if shorter) it runs a cheap query;
/// if that fails it reopens the handle, and if reopening fails it throws so that its
/// supervisor restarts it with backoff (and, past the restart intensity, escalates).
public enum StoreWorker {
    /// Seconds between checks.
    public static let checkInterval = 15

    /// The child spec (permanent worker).
    public static func spec(store: StateStore, timing: WorkerTiming = WorkerTiming(), logger: Logger) -> ChildSpec {
        .worker("store", liveness: timing.livenessDeadline) { context in
            while !Task.isCancelled {
                do {
                    try await store.check()
                } catch {
                    logger.error("state database check failed; reopening", metadata: ["error": "\(error)"])
                    try await store.reopen()
                }
                context.heartbeat()
                context.setStatus("open: \(store.path)")
                try await Task.sleep(for: min(.seconds(checkInterval), timing.heartbeatInterval))
            }
        }
    }
}
