// OTP supervisor: starting a child (start_link, readiness) and noticing its exit.
import Foundation

extension Supervisor {
    /// Checks a child spec against this supervisor's configuration (OTP `check_childspec`).
    ///
    /// - Throws: ``SupervisorError/badCombination(child:reason:)``.
    func validate(_ spec: ChildSpec) throws {
        func bad(_ reason: String) -> SupervisorError { .badCombination(child: spec.id, reason: reason) }
        if spec.significant, configuration.autoShutdown == .never {
            throw bad("significant: true under a supervisor with auto_shutdown: never (OTP bad_combination)")
        }
        if spec.significant, spec.restart == .permanent {
            throw bad("significant: true with restart: permanent (OTP bad_combination)")
        }
        if spec.revival != nil, spec.restart != .transient || spec.significant {
            throw bad(
                "revival needs restart: transient and significant: false (got restart: \(spec.restart.rawValue), significant: \(spec.significant))"
            )
        }
    }

    /// Launches one incarnation and waits until its start is complete (readiness).
    func launch(_ record: ChildRecord) async -> Result<Void, ExitReason> {
        guard !record.isRunning else { return .success(()) }  // never two live instances
        record.generation += 1
        let generation = record.generation
        let spec = record.spec
        let id = spec.id
        let context = ChildContext(path: childPath(id), clock: clock) { [weak self] in
            Task { await self?.childReady(id: id, generation: generation) }
        }
        record.context = context
        record.state = .starting
        record.reason = nil
        record.startedAt = clock.now
        record.nextRestartAt = nil
        record.stopRequested = false
        emit(.started, context.path, nil)
        logger.debug("child starting", metadata: ["path": "\(context.path)", "generation": "\(generation)"])
        record.task = Task.detached { [weak self] in
            let reason: ExitReason
            do {
                try await spec.start(context)
                reason = Task.isCancelled ? .cancelled : .normal
            } catch is CancellationError where Task.isCancelled {
                reason = .cancelled
            } catch let error as SupervisorError where error.isGiveUp {
                reason = .shutdown(error.description)
            } catch {
                reason = .error(String(describing: error))
            }
            await self?.childExited(id: id, generation: generation, reason: reason)
        }
        let outcome: StartOutcome
        switch spec.readiness {
        case .immediate:
            outcome = .ready
        case .explicit(let timeout):
            let deadline = timeout.map { clock.now + $0 }
            outcome = await withCheckedContinuation { continuation in
                record.readyWaiter = continuation
                if let deadline {
                    record.readyTimer = Task.detached { [weak self, clock] in
                        do { try await clock.sleep(until: deadline) } catch { return }
                        await self?.readyTimedOut(id: id, generation: generation)
                    }
                }
            }
        }
        switch outcome {
        case .ready:
            record.state = record.isRunning ? .running : .stopped
            emit(.ready, context.path, nil)
            scheduleLiveness(record)
            return .success(())
        case .exited(let reason):
            record.state = .stopped
            emit(.startFailed, context.path, reason.description)
            return .failure(reason)
        case .timedOut:
            let limit = if case .explicit(let t?) = spec.readiness { " within \(t.seconds) s" } else { "" }
            let reason = ExitReason.error("did not report ready\(limit)")
            await stop(record)
            record.lastExit = reason
            if record.state != .stuck { record.state = .stopped }
            emit(.startFailed, context.path, reason.description)
            return .failure(reason)
        }
    }

    func childReady(id: String, generation: Int) {
        guard let record = record(id), record.generation == generation, let waiter = record.readyWaiter else { return }
        record.readyWaiter = nil
        record.readyTimer?.cancel()
        record.readyTimer = nil
        waiter.resume(returning: .ready)
    }

    func readyTimedOut(id: String, generation: Int) {
        guard let record = record(id), record.generation == generation, let waiter = record.readyWaiter else { return }
        record.readyWaiter = nil
        record.readyTimer = nil
        waiter.resume(returning: .timedOut)
    }

    func childExited(id: String, generation: Int, reason: ExitReason) async {
        guard let record = record(id), record.generation == generation else { return }
        let now = clock.now
        let uptime = now - (record.startedAt ?? now)
        record.task = nil
        record.startedAt = nil
        record.lastExit = reason
        record.livenessTimer?.cancel()
        record.livenessTimer = nil
        record.resumeExitWaiters()
        if let waiter = record.readyWaiter {
            record.readyWaiter = nil
            record.readyTimer?.cancel()
            record.readyTimer = nil
            guard record.context?.hasReportedReady == true else {
                waiter.resume(returning: .exited(reason))
                return
            }
            // READY came first but its hop to this actor lost the race with the exit: the
            // start succeeded, and the exit is handled like any other.
            waiter.resume(returning: .ready)
        }
        if record.stopRequested {
            let wasStuck = record.state == .stuck
            if wasStuck || record.state == .running || record.state == .hung { record.state = .stopped }
            guard wasStuck, record.restartWhenStuckEnds else { return }
            // An abandoned incarnation ended after all: finish the repair it was stopped for.
            record.restartWhenStuckEnds = false
            record.stopRequested = false
            record.lastExit = record.pendingRepairReason ?? reason
            logger.notice("a stuck child ended after all; restarting it", metadata: ["path": "\(childPath(id))", "reason": "\(reason)"])
            enqueue(.exited(id: id, generation: generation, reason: record.pendingRepairReason ?? reason, uptime: uptime))
            return
        }
        record.state = .stopped  // until the loop decides (restart, backoff, failed)
        let event = LoopEvent.exited(id: id, generation: generation, reason: reason, uptime: uptime)
        guard phase == .running, !processing, queued == 0 else {
            enqueue(event)
            return
        }
        // Nothing is queued or being handled: handling the exit here, in the ended child's
        // task, keeps the one-event-at-a-time order and spares the loop task a wake-up on the
        // restart path (scripts/bench.sh supervision). The loop waits meanwhile.
        await beginProcessing()  // free: nothing is being handled
        await handle(event)
        endProcessing()
        if terminalError != nil || phase == .stopped { enqueue(.wake) }
    }
}
