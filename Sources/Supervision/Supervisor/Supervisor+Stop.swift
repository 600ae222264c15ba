// OTP supervisor: stopping children (shutdown timeout, then kill; Stevedore adds `stuck`).
import Foundation
import Logging

extension Supervisor {
    func stopAll() async {
        for record in records.reversed() { await stop(record) }
    }

    /// Stops a child: graceful request (for children that take one), then cancellation after
    /// the shutdown timeout, then `stuck` after one more timeout.
    ///
    /// - Returns: `true` once the child has ended; `false` if it is stuck.
    @discardableResult
    func stop(_ record: ChildRecord) async -> Bool {
        record.stopRequested = true
        record.cancelTimers()
        guard let task = record.task else {
            if record.state != .failed {
                record.state = .stopped
                record.reason = nil
            }
            return true
        }
        let path = childPath(record.spec.id)
        let limit: Duration? = if case .timeout(let t) = record.spec.shutdown { t } else { nil }
        if record.spec.gracefulStop {
            record.context?.requestShutdown()
            if limit == nil { task.cancel() }
            if await waitForExit(record, limit: limit) {
                return stopped(record, path)
            }
        }
        task.cancel()
        if await waitForExit(record, limit: limit) {
            return stopped(record, path)
        }
        record.state = .stuck
        record.reason = "did not end within its shutdown timeout after cancellation"
        emit(.stuck, path, record.reason)
        logger.error("child stuck", metadata: ["path": "\(path)"])
        return false
    }

    func stopped(_ record: ChildRecord, _ path: String) -> Bool {
        record.state = .stopped
        record.reason = nil  // what it was before (e.g. why it waited for a revival) no longer holds
        emit(.stopped, path, nil)
        return true
    }

    /// `true` once the current incarnation has ended; `false` if `limit` passed first.
    func waitForExit(_ record: ChildRecord, limit: Duration?) async -> Bool {
        guard record.isRunning else { return true }
        nextWaiterID += 1
        let waiterID = nextWaiterID
        let id = record.spec.id
        let deadline = limit.map { clock.now + $0 }
        return await withCheckedContinuation { continuation in
            record.exitWaiters[waiterID] = continuation
            if let deadline {
                record.waiterTimers[waiterID] = Task.detached { [weak self, clock] in
                    do { try await clock.sleep(until: deadline) } catch { return }
                    await self?.expireWaiter(childID: id, waiterID: waiterID)
                }
            }
        }
    }

    func expireWaiter(childID: String, waiterID: Int) {
        guard let record = record(childID) else { return }
        record.waiterTimers[waiterID] = nil
        record.exitWaiters.removeValue(forKey: waiterID)?.resume(returning: false)
    }
}
