// OTP supervisor: start_child, terminate_child, restart_child, delete_child, which_children, count_children.
import Foundation

extension Supervisor {
    /// Adds a child and, if the supervisor is running, starts it (OTP `start_child`).
    ///
    /// - Throws: ``SupervisorError/alreadyPresent(_:)`` if a child with that id exists,
    ///   ``SupervisorError/alreadyStarted(_:)`` if it runs,
    ///   ``SupervisorError/badCombination(child:reason:)`` for a spec OTP would refuse,
    ///   ``SupervisorError/startFailed(supervisor:child:reason:)`` if its start fails (its
    ///   spec is not kept).
    public func startChild(_ spec: ChildSpec) async throws { try await request(.start(spec)) }

    /// Stops a child and keeps its spec (OTP `terminate_child`); it is not restarted until
    /// ``restartChild(_:)``. A temporary child's spec is deleted instead (OTP).
    ///
    /// - Throws: ``SupervisorError/notFound(_:)``.
    public func terminateChild(_ id: String) async throws { try await request(.terminate(id)) }

    /// Starts a terminated child again from its spec (OTP `restart_child`).
    ///
    /// - Throws: ``SupervisorError/notFound(_:)``, ``SupervisorError/running(_:)`` if it runs.
    public func restartChild(_ id: String) async throws { try await request(.restart(id)) }

    /// Removes a terminated child's spec (OTP `delete_child`).
    ///
    /// - Throws: ``SupervisorError/notFound(_:)``, ``SupervisorError/running(_:)`` if it runs.
    public func deleteChild(_ id: String) async throws { try await request(.delete(id)) }

    /// The ids of the children, in start order.
    public var childIDs: [String] { records.map(\.spec.id) }

    /// Each child's id, state and type, in start order (OTP `which_children`).
    public var whichChildren: [(id: String, state: NodeState, type: ChildType)] {
        records.map { ($0.spec.id, $0.state, $0.spec.type) }
    }

    /// Children by kind, like OTP `count_children`.
    public var childCounts: (specs: Int, active: Int, supervisors: Int, workers: Int) {
        (
            records.count, records.filter(\.isRunning).count,
            records.filter { $0.spec.type == .supervisor }.count, records.filter { $0.spec.type == .worker }.count
        )
    }

    /// Routes a request through the event loop while it runs (so it is serialized with
    /// restarts), or performs it at once otherwise.
    func request(_ request: AdminRequest) async throws {
        // While starting, too: requests wait until the start phase is over instead of racing it.
        if loop != nil, phase == .running || phase == .starting {
            try await withCheckedThrowingContinuation { continuation in
                nextWaiterID += 1
                pendingAdmin[nextWaiterID] = (request, continuation)
                enqueue(.admin(nextWaiterID))
            }
        } else {
            try await perform(request)
        }
    }

    func perform(_ request: AdminRequest) async throws {
        switch request {
        case .start(let spec):
            if let existing = record(spec.id) {
                throw existing.isRunning ? SupervisorError.alreadyStarted(spec.id) : SupervisorError.alreadyPresent(spec.id)
            }
            try validate(spec)
            let record = ChildRecord(spec: spec)
            records.append(record)
            if phase == .running, case .failure(let reason) = await launch(record) {
                records.removeAll { $0 === record }  // OTP keeps no spec of a child that failed to start
                throw SupervisorError.startFailed(supervisor: displayPath, child: spec.id, reason: reason.description)
            }
        case .terminate(let id):
            guard let record = record(id) else { throw SupervisorError.notFound(id) }
            handOverPendingRestart(from: record)
            record.restartWhenStuckEnds = false
            guard await stop(record) else { throw SupervisorError.stuck(id) }
            // OTP: a temporary child's spec is deleted as soon as it terminates.
            if record.spec.restart == .temporary { records.removeAll { $0 === record } }
        case .restart(let id):
            guard let record = record(id) else { throw SupervisorError.notFound(id) }
            guard record.state != .stuck else { throw SupervisorError.stuck(id) }
            guard !record.isRunning else { throw SupervisorError.running(id) }
            guard record.state != .backoff else { throw SupervisorError.restarting(id) }
            record.cancelTimers()
            record.consecutiveRestarts = 0
            if phase == .running, case .failure(let reason) = await launch(record) {
                throw SupervisorError.startFailed(supervisor: displayPath, child: id, reason: reason.description)
            }
        case .delete(let id):
            guard let record = record(id) else { throw SupervisorError.notFound(id) }
            guard !record.isRunning else { throw SupervisorError.running(id) }
            guard record.state != .backoff else { throw SupervisorError.restarting(id) }
            record.cancelTimers()
            records.removeAll { $0 === record }
        case .bounce(let id):
            guard let record = record(id) else { throw SupervisorError.notFound(id) }
            handOverPendingRestart(from: record)
            guard await stop(record) else {
                record.restartWhenStuckEnds = true
                record.pendingRepairReason = .error("restarted by an operator; the old incarnation was stuck")
                throw SupervisorError.stuck(id)
            }
            record.cancelTimers()
            record.consecutiveRestarts = 0
            if phase == .running, case .failure(let reason) = await launch(record) {
                throw SupervisorError.startFailed(supervisor: displayPath, child: id, reason: reason.description)
            }
        }
    }

    /// Takes `record` out of any pending group restart; if it owned the group's timer, the
    /// next member takes the timer over (same deadline), so no sibling is stranded in backoff.
    func handOverPendingRestart(from record: ChildRecord) {
        let id = record.spec.id
        for other in records where other !== record { other.restartGroup.removeAll { $0 == id } }
        let rest = record.restartGroup.filter { $0 != id }
        guard record.restartTimer != nil || record.state == .backoff, let due = record.nextRestartAt,
            let nextID = rest.first, let next = self.record(nextID)
        else { return }
        record.cancelTimers()
        next.restartGroup = rest
        next.nextRestartAt = due
        let generation = next.generation
        next.restartTimer = Task.detached { [weak self, clock] in
            do { try await clock.sleep(until: due) } catch { return }
            await self?.enqueue(.restartDue(id: nextID, generation: generation))
        }
    }
}
