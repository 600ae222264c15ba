// OTP supervisor: the restart decision (restart type, strategy, intensity, auto_shutdown, giving up).
import Foundation
import Logging

extension Supervisor {
    /// Decides what follows the end of `record`'s incarnation: nothing, auto shutdown, a
    /// revival after giving up (``ChildSpec/revival``), or a (strategy-wide) restart after
    /// backoff — unless the restart intensity is exceeded.
    func afterEnd(_ record: ChildRecord, reason: ExitReason, uptime: Duration) async {
        guard RestartPlan.restarts(record.spec.restart, after: reason) else {
            await endWithoutRestart(record, reason: reason, uptime: uptime)
            return
        }
        guard await countRestart(record, reason: reason) else { return }
        if uptime >= (record.spec.backoff ?? configuration.backoff).resetAfter { record.consecutiveRestarts = 0 }

        // The strategy decides which siblings go down with it (RestartPlan).
        let plan = RestartPlan(strategy: configuration.strategy, ended: record.spec.id, children: records.map(\.planned))
        for id in plan.stop {
            guard let sibling = self.record(id) else { continue }
            emit(.restarting, childPath(id), "sibling \(record.spec.id) ended (\(configuration.strategy.rawValue))")
            await stop(sibling)
        }
        // OTP: temporary children taken down by a sibling's restart are deleted, not
        // restarted; a stuck sibling still runs and stays `stuck` (never a second instance
        // beside it).
        records.removeAll { plan.delete.contains($0.spec.id) }
        let restartIDs = notStuck(plan.restart, besides: record.spec.id)
        // Without a backoff delay the restart happens here and now: a second trip through the
        // event loop would only add latency (scripts/bench.sh supervision).
        if scheduleRestart(of: record, group: restartIDs, reason: reason, inline: true) {
            await restart(group: restartIDs, owner: record)
        }
    }

    /// A child that its restart type does not restart: a temporary one's spec is deleted
    /// (OTP), a supervisor child that gave up is `failed` — or revived later if its spec has a
    /// ``ChildSpec/revival`` policy — and a significant one may end this supervisor
    /// (auto_shutdown).
    private func endWithoutRestart(_ record: ChildRecord, reason: ExitReason, uptime: Duration) async {
        let path = childPath(record.spec.id)
        if case .shutdown = reason, let revival = record.spec.revival {
            if uptime >= revival.resetAfter { record.revivals = 0 }
            scheduleRevival(of: record, policy: revival, reason: reason)
            return
        }
        logger.info("child ended, not restarted", metadata: ["path": "\(path)", "reason": "\(reason)"])
        if record.spec.restart == .temporary {
            records.removeAll { $0 === record }  // OTP deletes a temporary child's spec when it ends
        } else if case .shutdown = reason {
            record.state = .failed
            record.reason = reason.description
        } else {
            record.state = .stopped
        }
        if record.spec.significant { await checkAutoShutdown() }
    }

    /// Schedules a fresh start of a supervisor child that gave up, after the revival
    /// backoff. Not a restart: it does not count toward this supervisor's intensity.
    private func scheduleRevival(of record: ChildRecord, policy: BackoffPolicy, reason: ExitReason) {
        record.revivals += 1
        let delay = policy.delay(attempt: record.revivals, random: configuration.random)
        let path = childPath(record.spec.id)
        logger.error(
            "supervisor child gave up; starting it again later",
            metadata: [
                "path": "\(path)", "reason": "\(reason)", "delay_s": "\(delay.seconds)", "revival": "\(record.revivals)",
            ])
        emit(.backoff, path, "\(Self.formatSeconds(delay)) s (revival \(record.revivals) after giving up)")
        record.state = .backoff
        record.reason = reason.description
        record.revivalDue = true
        setRestartTimer(record, due: clock.now + delay, group: [record.spec.id])
    }

    /// Records a restart in the intensity window; gives up when it is exceeded (more than
    /// `maxRestarts` restarts within `period`, a restart exactly `period` old included: OTP
    /// `supervisor:add_restart/3`).
    /// - Returns: `false` if the supervisor gave up.
    func countRestart(_ record: ChildRecord, reason: ExitReason) async -> Bool {
        let now = clock.now
        let intensity = configuration.intensity
        let inWindow = window.record(at: now, period: intensity.period)
        _ = record.restartStamps.record(at: now, period: intensity.period)
        record.restartsTotal += 1
        guard inWindow > intensity.maxRestarts else { return true }
        record.state = .failed
        record.reason = reason.description
        await giveUp(lastReason: "\(childPath(record.spec.id)): \(reason)")
        return false
    }

    /// Puts `group` in backoff and arms the timer that restarts it.
    ///
    /// - Parameter inline: with no delay, arm nothing and return `true`: the caller restarts
    ///   the group at once. Otherwise a zero delay goes through the event loop.
    /// - Returns: whether the caller must restart the group now.
    @discardableResult
    func scheduleRestart(of record: ChildRecord, group: [String], reason: ExitReason, inline: Bool = false) -> Bool {
        record.consecutiveRestarts += 1
        let policy = record.spec.backoff ?? configuration.backoff
        let delay = policy.delay(attempt: record.consecutiveRestarts, random: configuration.random)
        let path = childPath(record.spec.id)
        logger.warning(
            "child ended, restarting",
            metadata: [
                "path": "\(path)", "reason": "\(reason)", "delay_s": "\(delay.seconds)",
                "restarts_in_window": "\(window.count(now: clock.now, period: configuration.intensity.period))",
            ])
        emit(.backoff, path, "\(Self.formatSeconds(delay)) s")
        for id in group { self.record(id)?.state = .backoff }
        if inline, delay <= .zero { return true }
        setRestartTimer(record, due: clock.now + delay, group: group)
        return false
    }

    /// Arms `record`'s restart timer: at `due`, `group` (in start order) is started again.
    func setRestartTimer(_ record: ChildRecord, due: Duration, group: [String]) {
        record.nextRestartAt = due
        record.restartGroup = group
        let generation = record.generation
        let id = record.spec.id
        guard due > clock.now else {
            enqueue(.restartDue(id: id, generation: generation))
            return
        }
        record.restartTimer = Task.detached { [weak self, clock] in
            do { try await clock.sleep(until: due) } catch { return }
            await self?.enqueue(.restartDue(id: id, generation: generation))
        }
    }

    /// Starts `group` in order. A failed start counts as a restart (OTP); what is retried
    /// after backoff follows the strategy: under one_for_all the children of the group that
    /// did start are stopped again and the whole group is restarted (OTP
    /// `supervisor:restart/3` → `try_again_restart`); otherwise the failed child and the rest
    /// of the group. A revival (``ChildSpec/revival``) that fails to start is retried after
    /// the next revival delay instead, outside the intensity.
    func restart(group: [String], owner: ChildRecord) async {
        owner.nextRestartAt = nil
        owner.restartGroup = []
        let revival = owner.revivalDue
        owner.revivalDue = false
        for (index, id) in group.enumerated() {
            guard phase == .running, let record = record(id), !record.isRunning else { continue }
            emit(.restarting, childPath(id), revival ? "revival after giving up" : nil)
            guard case .failure(let reason) = await launch(record) else { continue }
            if revival, let policy = record.spec.revival {
                scheduleRevival(of: record, policy: policy, reason: reason)
                return
            }
            guard await countRestart(record, reason: reason) else { return }
            var retry = Array(group[index...])
            if configuration.strategy == .oneForAll {
                for startedID in group[..<index].reversed() {
                    guard let started = self.record(startedID), started.isRunning else { continue }
                    emit(.restarting, childPath(startedID), "sibling \(id) failed to start (one_for_all)")
                    await stop(started)
                }
                retry = notStuck(group, besides: id)
            }
            scheduleRestart(of: record, group: retry, reason: reason)
            return
        }
    }

    /// `ids` without the children that are `stuck` (they still run: never a second instance
    /// beside one) or gone, keeping `owner` (the child being restarted) in any case.
    private func notStuck(_ ids: [String], besides owner: String) -> [String] {
        ids.filter { $0 == owner || self.record($0).map { $0.state != .stuck } ?? false }
    }

    func checkAutoShutdown() async {
        let significant = records.filter(\.spec.significant)
        let shouldStop: Bool =
            switch configuration.autoShutdown {
            case .never: false
            case .anySignificant: true
            case .allSignificant: significant.allSatisfy { !$0.isRunning && $0.state != .backoff }
            }
        guard shouldStop, phase == .running else { return }
        emit(.autoShutdown, displayPath, configuration.autoShutdown.rawValue)
        logger.info("auto shutdown", metadata: ["path": "\(displayPath)", "rule": "\(configuration.autoShutdown.rawValue)"])
        phase = .stopping
        await stopAll()
        phase = .stopped
    }

    func giveUp(lastReason: String) async {
        guard phase == .running else { return }
        let intensity = configuration.intensity
        let error = SupervisorError.restartIntensityExceeded(
            supervisor: displayPath, maxRestarts: intensity.maxRestarts, period: intensity.period,
            lastReason: lastReason)
        logger.error("supervisor giving up", metadata: ["path": "\(displayPath)", "error": "\(error)"])
        emit(.escalated, displayPath, error.description)
        phase = .stopping
        await stopAll()
        phase = .failed(error.description)
        terminalError = error
    }
}
