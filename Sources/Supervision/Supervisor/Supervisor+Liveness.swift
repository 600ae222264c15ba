// Beyond OTP: liveness deadlines (a child that stops heart-beating is hung and restarted).
import Foundation
import Logging

extension Supervisor {
    func scheduleLiveness(_ record: ChildRecord) {
        guard let deadline = record.spec.liveness, let context = record.context else { return }
        // After a heartbeat, or after the end of an idle sleep the child vouched for: one
        // wake-up per sleep, not per deadline (ChildContext+Heartbeat).
        let base = context.livenessBase ?? record.startedAt ?? clock.now
        let due = base + deadline
        let id = record.spec.id
        let generation = record.generation
        record.livenessTimer?.cancel()
        record.livenessTimer = Task.detached { [weak self, clock] in
            do { try await clock.sleep(until: due) } catch { return }
            await self?.enqueue(.livenessCheck(id: id, generation: generation))
        }
    }

    func checkLiveness(_ record: ChildRecord) async {
        guard let deadline = record.spec.liveness, let context = record.context else { return }
        let now = clock.now
        let last = context.lastHeartbeat ?? record.startedAt ?? now
        guard now - last >= deadline else {
            scheduleLiveness(record)
            return
        }
        let path = childPath(record.spec.id)
        let reason = ExitReason.hung("no heartbeat for \(Self.formatSeconds(now - last)) s (deadline \(Self.formatSeconds(deadline)) s)")
        record.state = .hung
        record.reason = reason.description
        emit(.hung, path, reason.description)
        logger.error("child hung", metadata: ["path": "\(path)", "reason": "\(reason)"])
        let uptime = now - (record.startedAt ?? now)
        guard await stop(record) else {
            // Stuck: reported, never restarted beside itself; restarted if it ever ends.
            record.restartWhenStuckEnds = true
            record.pendingRepairReason = reason
            return
        }
        record.lastExit = reason
        await afterEnd(record, reason: reason, uptime: uptime)
    }
}
