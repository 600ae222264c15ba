import Dispatch
import Foundation
import Synchronization

/// Writes one deployment's records on its own serial queue (a thread outside Swift's
/// cooperative pool): a slow or failing disk blocks that queue only, never the streamer's
/// other streams or its heartbeat.
final class DeploymentLogWriter: Sendable {
    let name: String
    private let queue: DispatchQueue
    private let files: Mutex<LogFileSet?>
    let directory: String
    private let limits: Mutex<LogLimits>

    /// One follower's run of writes: after a failed write, later batches of the same session
    /// are refused, so the file never has a gap (the follower resumes from the file).
    final class Session: Sendable {
        let failed = Atomic<Bool>(false)
    }

    init(name: String, directory: String, limits: LogLimits) {
        self.name = name
        self.directory = directory
        self.limits = Mutex(limits)
        queue = DispatchQueue(label: "stevedore.logs.\(name)")
        files = Mutex(nil)
    }

    var currentLimits: LogLimits { limits.withLock { $0 } }

    func setLimits(_ new: LogLimits) {
        limits.withLock { $0 = new }
        queue.async { [self] in files.withLock { $0?.limits = new } }
    }

    /// Runs `body` with the file set on the queue, opening it first if needed.
    private func withFiles<T>(_ body: (LogFileSet) throws -> T) throws -> T {
        try files.withLock { set in
            if set == nil { set = try LogFileSet(directory: directory, limits: limits.withLock { $0 }) }
            return try body(set!)
        }
    }

    /// Queues `records` for `service`; `done` is called on the queue with the outcome.
    func enqueue(service: String, records: [LogRecord], session: Session, done: (@Sendable (LogWriteError?) -> Void)? = nil) {
        queue.async { [self] in
            guard !session.failed.load(ordering: .acquiring) else {
                done?(LogWriteError(path: directory, operation: "write", code: EIO))
                return
            }
            do {
                try withFiles { try $0.write(service: service, records: records) }
                done?(nil)
            } catch let error as LogWriteError {
                session.failed.store(true, ordering: .releasing)
                done?(error)
            } catch {
                session.failed.store(true, ordering: .releasing)
                done?(LogWriteError(path: directory, operation: "write", code: EIO))
            }
        }
    }

    /// Queues `records` and waits until they are written.
    func write(service: String, records: [LogRecord], session: Session) async throws {
        let error: LogWriteError? = await withCheckedContinuation { continuation in
            enqueue(service: service, records: records, session: session) { continuation.resume(returning: $0) }
        }
        if let error { throw error }
    }

    /// Finds a container's resume point (on the queue: after every write queued before).
    func resumePoint(container: String, service: String, notBefore: [UInt8]?) async throws -> LogResumePoint? {
        try await withCheckedThrowingContinuation { continuation in
            queue.async { [self] in
                do {
                    let positions = try withFiles { $0.lastPosition(of: container) }
                    continuation.resume(
                        returning: LogResumePoint.find(
                            container: container, service: service, directory: directory, notBefore: notBefore, positions: positions))
                } catch {
                    continuation.resume(throwing: error)
                }
            }
        }
    }

    /// Saves `.positions` if it changed (called every few seconds and at the end).
    func savePositions(wait: Bool = false) {
        let work: @Sendable () -> Void = { [self] in files.withLock { $0?.savePositionsIfChanged() } }
        if wait { queue.sync(execute: work) } else { queue.async(execute: work) }
    }
}
