import Dispatch
import Foundation
import Synchronization

/// Writes one deployment's records on its own serial queue (a thread outside Swift's
/// cooperative pool): a slow or failing disk blocks that queue only, never the streamer's
/// other streams or its heartbeat.
///
/// Records are queued without waiting (``enqueue(service:records:session:done:)``); the queue
/// drains everything queued so far in one go, with one `write(2)` per service, so that a
/// flood costs one system call per batch, not per line. Followers wait now and then
/// (``barrier(_:)``) so that what is queued stays bounded.
final class DeploymentLogWriter: Sendable {
    let name: String
    let directory: String
    private let queue: DispatchQueue
    private let files: Mutex<LogFileSet?>
    private let limits: Mutex<LogLimits>

    /// One follower's run of writes: after a failed write, later batches of the same session
    /// are refused, so the file never has a gap (the follower resumes from the file).
    final class Session: Sendable {
        private let failure = Mutex<LogWriteError?>(nil)
        /// The write error that ended the session, if any.
        var error: LogWriteError? { failure.withLock { $0 } }
        func fail(_ error: LogWriteError) { failure.withLock { if $0 == nil { $0 = error } } }
    }

    private struct Item: Sendable {
        var service: String
        var records: [LogRecord]
        var session: Session
        var done: (@Sendable (LogWriteError?) -> Void)?
    }
    private struct Pending: Sendable {
        var items: [Item] = []
        var bytes = 0
        var scheduled = false
    }

    /// How long queued records may wait for more to join them: a few milliseconds of latency
    /// for a quiet stream, a batch of hundreds of lines per write for a flood.
    static let batchDelay: DispatchTimeInterval = .milliseconds(3)
    /// Queued bytes that start a drain at once.
    static let batchBytes = 64 * 1024
    private let pending = Mutex(Pending())

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

    /// Queues `records` for `service`; `done` is called on the queue once they are written
    /// (or refused: the session failed before).
    func enqueue(service: String, records: [LogRecord], session: Session, done: (@Sendable (LogWriteError?) -> Void)? = nil) {
        let bytes = records.reduce(0) { $0 + $1.lineLength }
        let (schedule, now) = pending.withLock { p -> (Bool, Bool) in
            p.items.append(Item(service: service, records: records, session: session, done: done))
            p.bytes += bytes
            defer { p.scheduled = true }
            return (!p.scheduled, records.isEmpty || p.bytes >= Self.batchBytes)
        }
        guard schedule else { return }
        if now {
            queue.async { [self] in drain() }
        } else {
            queue.asyncAfter(deadline: .now() + Self.batchDelay) { [self] in drain() }
        }
    }

    /// Calls `done` once everything `session` queued so far is written (with the error that
    /// failed the session, if any). An item without records is the barrier: ``drain()``
    /// answers it after the writes queued before it.
    func barrier(_ session: Session, done: @escaping @Sendable (LogWriteError?) -> Void) {
        enqueue(service: "", records: [], session: session, done: done)
    }

    /// Waits until everything `session` queued so far is written.
    ///
    /// - Throws: the ``LogWriteError`` that failed the session.
    func barrier(_ session: Session) async throws {
        let error: LogWriteError? = await withCheckedContinuation { continuation in
            barrier(session) { continuation.resume(returning: $0) }
        }
        if let error { throw error }
    }

    /// Writes everything queued: consecutive items of one service become one write.
    private func drain() {
        let items = pending.withLock { p -> [Item] in
            defer {
                p.items = []
                p.bytes = 0
                p.scheduled = false
            }
            return p.items
        }
        var index = 0
        while index < items.count {
            let service = items[index].service
            var end = index
            var records: [LogRecord] = []
            var sessions: [Session] = []
            while end < items.count, items[end].service == service || items[end].records.isEmpty {
                if items[end].session.error == nil {
                    records += items[end].records
                    if !items[end].records.isEmpty { sessions.append(items[end].session) }
                }
                end += 1
            }
            if !records.isEmpty, !service.isEmpty {
                do {
                    try withFiles { try $0.write(service: service, records: records) }
                } catch {
                    let failure =
                        error as? LogWriteError ?? LogWriteError(path: directory, operation: "write", code: EIO)
                    for session in sessions { session.fail(failure) }
                }
            }
            for item in items[index..<end] { item.done?(item.session.error) }
            index = end
        }
    }

    /// Finds a container's resume point (on the queue, after writing everything queued
    /// before: records still waiting for their batch would otherwise be missing from the
    /// file, the stream would resume before them and write them twice).
    func resumePoint(container: String, service: String, notBefore: [UInt8]?) async throws -> LogResumePoint? {
        try await withCheckedThrowingContinuation { continuation in
            queue.async { [self] in
                drain()
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
