import Foundation
import Logging
import ServiceLifecycle

/// How a supervisor reacts when one child ends and is to be restarted (OTP restart strategy).
public enum RestartStrategy: String, Sendable, Codable {
    /// Only the child that ended is restarted.
    case oneForOne = "one_for_one"
    /// All children are stopped (reverse start order) and restarted (start order).
    case oneForAll = "one_for_all"
    /// The child that ended and every child started after it are stopped and restarted.
    case restForOne = "rest_for_one"
}

/// OTP `auto_shutdown`: whether significant children ending on their own end the supervisor.
public enum AutoShutdown: String, Sendable, Codable {
    /// Never (the default).
    case never
    /// When any significant child ends on its own and is not restarted.
    case anySignificant = "any_significant"
    /// When every significant child has ended on its own.
    case allSignificant = "all_significant"
}

/// The policy of one ``Supervisor``.
public struct SupervisorConfiguration: Sendable {
    /// Restart strategy; default `.oneForOne`.
    public var strategy: RestartStrategy
    /// Restart intensity. Stevedore's default is 5 restarts in 30 s, looser than OTP's 1 in
    /// 5 s because backoff already spaces restarts out (docs/SUPERVISION.md).
    public var intensity: RestartIntensity
    /// Backoff between restarts of one child.
    public var backoff: BackoffPolicy
    /// OTP `auto_shutdown`; default `.never`.
    public var autoShutdown: AutoShutdown
    /// Source of jitter, a value in `0..<1`; inject a constant in tests.
    public var random: @Sendable () -> Double

    /// Defaults: one_for_one, 5 restarts in 30 s, ``BackoffPolicy``'s defaults, no auto shutdown,
    /// uniform random jitter.
    public init(
        strategy: RestartStrategy = .oneForOne,
        intensity: RestartIntensity = RestartIntensity(maxRestarts: 5, period: .seconds(30)),
        backoff: BackoffPolicy = BackoffPolicy(),
        autoShutdown: AutoShutdown = .never,
        random: @escaping @Sendable () -> Double = { Double.random(in: 0..<1) }
    ) {
        self.strategy = strategy
        self.intensity = intensity
        self.backoff = backoff
        self.autoShutdown = autoShutdown
        self.random = random
    }
}

/// An Erlang/OTP-style supervisor (source: the Erlang/OTP `supervisor` behaviour and design
/// principles): runs children from ``ChildSpec``s in order, restarts them by restart type and
/// strategy, and gives up when restarts exceed the restart intensity — then it stops every
/// child (reverse start order) and `run()` throws
/// ``SupervisorError/restartIntensityExceeded(supervisor:maxRestarts:period:lastReason:)``,
/// so that its parent (another supervisor, or swift-service-lifecycle's `ServiceGroup` for
/// the root) applies its own policy.
///
/// Added beyond OTP (docs/SUPERVISION.md): backoff between restarts, liveness deadlines
/// (`hung`), `stuck` children that ignore cancellation, `degraded` children, readiness
/// timeouts, process-isolated children (``ChildSpec/process(_:command:environment:restart:shutdown:readyTimeout:liveness:runtimeDirectory:)``)
/// and an event log.
///
/// Like an OTP supervisor process, it handles one event at a time (child exits, timers,
/// admin requests) in a loop. Children run in detached tasks, so a graceful shutdown reaches
/// them only through their supervisor, top-down and in reverse start order.
public actor Supervisor: Service {
    enum Phase: Equatable {
        case idle, starting, running, stopping, stopped
        case failed(String)
    }

    enum LoopEvent: Sendable {
        case exited(id: String, generation: Int, reason: ExitReason, uptime: Duration)
        case restartDue(id: String, generation: Int)
        case livenessCheck(id: String, generation: Int)
        case admin(Int)
        case shutdown
    }

    enum AdminRequest: Sendable {
        case start(ChildSpec)
        case terminate(String)
        case restart(String)
        case delete(String)
        case bounce(String)
    }

    /// The supervisor's id: its child id under its parent.
    public nonisolated let id: String
    /// Strategy, intensity, backoff, auto shutdown.
    public nonisolated let configuration: SupervisorConfiguration
    /// The event log shared by the tree.
    public nonisolated let events: EventLog
    let clock: any SupervisorClock
    let logger: Logger
    var records: [ChildRecord]
    var phase: Phase = .idle
    var path = ""
    private var window = RestartWindow()
    private var startedAt: Duration?
    private var loop: AsyncStream<LoopEvent>.Continuation?
    private var queued = 0
    private var processing = false
    private var shutdownRequested = false
    private var terminalError: (any Error)?
    private var nextWaiterID = 0
    private var pendingAdmin: [Int: (AdminRequest, CheckedContinuation<Void, any Error>)] = [:]

    /// - Parameters:
    ///   - id: the supervisor's id (its path component under a parent).
    ///   - configuration: strategy, restart intensity, backoff, auto shutdown.
    ///   - clock: monotonic time source; inject a ``ManualClock`` in tests.
    ///   - logger: receives start/exit/restart/give-up events.
    ///   - events: the tree's event log; pass the same one to every supervisor of a tree.
    ///   - children: child specs, started in this order by ``run()``.
    public init(
        id: String,
        configuration: SupervisorConfiguration = SupervisorConfiguration(),
        clock: any SupervisorClock = ContinuousSupervisorClock(),
        logger: Logger = Logger(label: "stevedore.supervisor"),
        events: EventLog = EventLog(),
        children: [ChildSpec] = []
    ) {
        self.id = id
        self.configuration = configuration
        self.clock = clock
        self.logger = logger
        self.events = events
        self.records = children.map(ChildRecord.init(spec:))
    }

    // MARK: Running

    /// Runs the supervisor as the root of a tree (path `""`) until it is cancelled, shut
    /// down gracefully (swift-service-lifecycle), shut down automatically, or gives up.
    ///
    /// - Throws: ``SupervisorError/startFailed(supervisor:child:reason:)`` if a child fails
    ///   to start; ``SupervisorError/restartIntensityExceeded(supervisor:maxRestarts:period:lastReason:)``
    ///   when it gives up; ``SupervisorError/alreadyRunning(_:)`` if already running.
    public func run() async throws {
        try await run(path: "", context: nil)
    }

    /// Runs the supervisor at `path` in a tree (children get `path/childID`).
    ///
    /// Starts the children in order, each start complete before the next; a start that fails
    /// stops the children already started and throws. Then `context.ready()` (if given) and
    /// the event loop, until cancellation, a graceful shutdown, a shutdown request through
    /// `context`, auto shutdown (returns normally) or giving up (throws).
    ///
    /// - Throws: as ``run()``.
    public func run(path: String, context: ChildContext? = nil) async throws {
        guard phase != .running, phase != .starting, phase != .stopping else { throw SupervisorError.alreadyRunning(id) }
        let (stream, continuation) = AsyncStream.makeStream(of: LoopEvent.self)
        self.path = path
        phase = .starting
        loop = continuation
        queued = 0
        shutdownRequested = false
        terminalError = nil
        window.reset()
        startedAt = clock.now
        context?.onShutdownRequest { continuation.yield(.shutdown) }
        defer {
            loop?.finish()
            loop = nil
            // Requests queued behind a shutdown or an escalation get an answer, not a hang.
            let unanswered = pendingAdmin
            pendingAdmin.removeAll()
            for (_, (_, continuation)) in unanswered { continuation.resume(throwing: SupervisorError.notRunning(id)) }
        }
        try await withTaskCancellationOrGracefulShutdownHandler {
            try await self.startAllAndLoop(stream: stream, context: context)
        } onCancelOrGracefulShutdown: {
            continuation.yield(.shutdown)
            Task { await self.noteShutdownRequested() }
        }
    }

    /// A start waiting for READY would hold the loop (and the shutdown behind it): cancel
    /// the starting child, which ends its wait as a failed start.
    private func noteShutdownRequested() {
        shutdownRequested = true
        for record in records where record.readyWaiter != nil { record.task?.cancel() }
    }

    private func startAllAndLoop(stream: AsyncStream<LoopEvent>, context: ChildContext?) async throws {
        for record in records { record.resetForNewRun() }
        var index = 0
        while index < records.count {
            if shutdownRequested { break }
            let record = records[index]
            index += 1
            if case .failure(let reason) = await launch(record) {
                let error = SupervisorError.startFailed(supervisor: displayPath, child: record.spec.id, reason: reason.description)
                logger.error("start failed", metadata: ["path": "\(displayPath)", "error": "\(error)"])
                phase = .stopping
                await stopAll()
                phase = .failed(error.description)
                throw error
            }
        }
        phase = .running
        context?.ready()
        for await event in stream {
            queued -= 1
            processing = true
            await handle(event)
            processing = false
            if let terminalError { throw terminalError }
            if phase == .stopped { return }
        }
        // The stream ends early when this task is cancelled (AsyncStream returns nil on
        // cancellation): the queued `.shutdown` was never handled, so stop the children here.
        if phase == .running {
            phase = .stopping
            await stopAll()
            phase = .stopped
        }
    }

    /// Stops every child in reverse start order and makes ``run()`` return normally.
    public func shutdown() {
        enqueue(.shutdown)
        noteShutdownRequested()
    }

    private func enqueue(_ event: LoopEvent) {
        guard let loop else { return }
        queued += 1
        loop.yield(event)
    }

    private func handle(_ event: LoopEvent) async {
        switch event {
        case .shutdown:
            guard phase == .running else { return }
            phase = .stopping
            await stopAll()
            phase = .stopped
        case let .exited(id, generation, reason, uptime):
            guard phase == .running, let record = record(id), record.generation == generation, !record.stopRequested else { return }
            emit(.exited, childPath(id), reason.description)
            await afterEnd(record, reason: reason, uptime: uptime)
        case let .restartDue(id, generation):
            guard phase == .running, let record = record(id), record.generation == generation, record.state == .backoff else { return }
            let group = record.restartGroup.isEmpty ? [id] : record.restartGroup
            record.restartTimer = nil
            await restart(group: group, owner: record)
        case let .livenessCheck(id, generation):
            guard phase == .running, let record = record(id), record.generation == generation, record.isRunning else { return }
            await checkLiveness(record)
        case let .admin(id):
            guard let (request, continuation) = pendingAdmin.removeValue(forKey: id) else { return }
            do {
                try await perform(request)
                continuation.resume()
            } catch {
                continuation.resume(throwing: error)
            }
        }
    }

    // MARK: Starting

    /// Launches one incarnation and waits until its start is complete (readiness).
    private func launch(_ record: ChildRecord) async -> Result<Void, ExitReason> {
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

    private func childReady(id: String, generation: Int) {
        guard let record = record(id), record.generation == generation, let waiter = record.readyWaiter else { return }
        record.readyWaiter = nil
        record.readyTimer?.cancel()
        record.readyTimer = nil
        waiter.resume(returning: .ready)
    }

    private func readyTimedOut(id: String, generation: Int) {
        guard let record = record(id), record.generation == generation, let waiter = record.readyWaiter else { return }
        record.readyWaiter = nil
        record.readyTimer = nil
        waiter.resume(returning: .timedOut)
    }

    private func childExited(id: String, generation: Int, reason: ExitReason) {
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
        enqueue(.exited(id: id, generation: generation, reason: reason, uptime: uptime))
    }

    // MARK: After a child ended

    /// Decides what follows the end of `record`'s incarnation: nothing, auto shutdown, or a
    /// (strategy-wide) restart after backoff — unless the restart intensity is exceeded.
    private func afterEnd(_ record: ChildRecord, reason: ExitReason, uptime: Duration) async {
        let restart: Bool = switch record.spec.restart {
        case .permanent: true
        case .transient: reason.isAbnormal
        case .temporary: false
        }
        guard restart else {
            record.state = .stopped
            logger.info("child ended, not restarted", metadata: ["path": "\(childPath(record.spec.id))", "reason": "\(reason)"])
            if record.spec.significant { await checkAutoShutdown() }
            return
        }
        guard await countRestart(record, reason: reason) else { return }
        if uptime >= (record.spec.backoff ?? configuration.backoff).resetAfter { record.consecutiveRestarts = 0 }

        // The strategy decides which siblings go down with it.
        let index = records.firstIndex { $0 === record } ?? 0
        let group: [ChildRecord] = switch configuration.strategy {
        case .oneForOne: [record]
        case .oneForAll: records
        case .restForOne: Array(records[index...])
        }
        for sibling in group.reversed() where sibling !== record && sibling.isRunning {
            emit(.restarting, childPath(sibling.spec.id), "sibling \(record.spec.id) ended (\(configuration.strategy.rawValue))")
            await stop(sibling)
        }
        // OTP: temporary children taken down by a sibling's restart are not restarted; a
        // stuck sibling still runs and stays `stuck` (never a second instance beside it).
        let restartIDs = group.filter { $0 === record || ($0.spec.restart != .temporary && $0.state != .stuck) }.map(\.spec.id)
        for sibling in group where sibling !== record && sibling.spec.restart == .temporary {
            sibling.state = .stopped
        }
        scheduleRestart(of: record, group: restartIDs, reason: reason)
    }

    /// Records a restart in the intensity window; gives up when it is exceeded.
    /// - Returns: `false` if the supervisor gave up.
    private func countRestart(_ record: ChildRecord, reason: ExitReason) async -> Bool {
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

    private func scheduleRestart(of record: ChildRecord, group: [String], reason: ExitReason) {
        record.consecutiveRestarts += 1
        let delay = (record.spec.backoff ?? configuration.backoff).delay(attempt: record.consecutiveRestarts, unitRandom: configuration.random())
        let path = childPath(record.spec.id)
        logger.warning("child ended, restarting", metadata: [
            "path": "\(path)", "reason": "\(reason)", "delay_s": "\(delay.seconds)",
            "restarts_in_window": "\(window.count(now: clock.now, period: configuration.intensity.period))",
        ])
        emit(.backoff, path, "\(delay.seconds)")
        let due = clock.now + delay
        for id in group { self.record(id)?.state = .backoff }
        record.nextRestartAt = due
        record.restartGroup = group
        let generation = record.generation
        let id = record.spec.id
        guard delay > .zero else {
            enqueue(.restartDue(id: id, generation: generation))
            return
        }
        record.restartTimer = Task.detached { [weak self, clock] in
            do { try await clock.sleep(until: due) } catch { return }
            await self?.enqueue(.restartDue(id: id, generation: generation))
        }
    }

    /// Starts `group` in order. A failed start counts as a restart; the failed child and the
    /// rest of the group are retried after backoff.
    private func restart(group: [String], owner: ChildRecord) async {
        owner.nextRestartAt = nil
        owner.restartGroup = []
        for (index, id) in group.enumerated() {
            guard phase == .running, let record = record(id), !record.isRunning else { continue }
            emit(.restarting, childPath(id), nil)
            if case .failure(let reason) = await launch(record) {
                guard await countRestart(record, reason: reason) else { return }
                scheduleRestart(of: record, group: Array(group[index...]), reason: reason)
                return
            }
        }
    }

    private func checkAutoShutdown() async {
        let significant = records.filter(\.spec.significant)
        let shouldStop: Bool = switch configuration.autoShutdown {
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

    private func giveUp(lastReason: String) async {
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

    // MARK: Liveness

    private func scheduleLiveness(_ record: ChildRecord) {
        guard let deadline = record.spec.liveness, let context = record.context else { return }
        let base = context.lastHeartbeat ?? record.startedAt ?? clock.now
        let due = base + deadline
        let id = record.spec.id
        let generation = record.generation
        record.livenessTimer?.cancel()
        record.livenessTimer = Task.detached { [weak self, clock] in
            do { try await clock.sleep(until: due) } catch { return }
            await self?.enqueue(.livenessCheck(id: id, generation: generation))
        }
    }

    private func checkLiveness(_ record: ChildRecord) async {
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

    // MARK: Stopping

    private func stopAll() async {
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
            if record.state != .failed { record.state = .stopped }
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

    private func stopped(_ record: ChildRecord, _ path: String) -> Bool {
        record.state = .stopped
        emit(.stopped, path, nil)
        return true
    }

    /// `true` once the current incarnation has ended; `false` if `limit` passed first.
    private func waitForExit(_ record: ChildRecord, limit: Duration?) async -> Bool {
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

    private func expireWaiter(childID: String, waiterID: Int) {
        guard let record = record(childID) else { return }
        record.waiterTimers[waiterID] = nil
        record.exitWaiters.removeValue(forKey: waiterID)?.resume(returning: false)
    }

    // MARK: Runtime API (OTP supervisor:start_child/terminate_child/restart_child/delete_child)

    /// Adds a child and, if the supervisor is running, starts it (OTP `start_child`).
    ///
    /// - Throws: ``SupervisorError/alreadyPresent(_:)`` if a child with that id exists.
    public func startChild(_ spec: ChildSpec) async throws { try await request(.start(spec)) }

    /// Stops a child and keeps its spec (OTP `terminate_child`); it is not restarted until
    /// ``restartChild(_:)``.
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
        (records.count, records.filter(\.isRunning).count,
         records.filter { $0.spec.type == .supervisor }.count, records.filter { $0.spec.type == .worker }.count)
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

    private func perform(_ request: AdminRequest) async throws {
        switch request {
        case .start(let spec):
            if let existing = record(spec.id) {
                throw existing.isRunning ? SupervisorError.alreadyStarted(spec.id) : SupervisorError.alreadyPresent(spec.id)
            }
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
    private func handOverPendingRestart(from record: ChildRecord) {
        let id = record.spec.id
        for other in records where other !== record { other.restartGroup.removeAll { $0 == id } }
        let rest = record.restartGroup.filter { $0 != id }
        guard record.restartTimer != nil || record.state == .backoff, let due = record.nextRestartAt,
              let nextID = rest.first, let next = self.record(nextID) else { return }
        record.cancelTimers()
        next.restartGroup = rest
        next.nextRestartAt = due
        let generation = next.generation
        next.restartTimer = Task.detached { [weak self, clock] in
            do { try await clock.sleep(until: due) } catch { return }
            await self?.enqueue(.restartDue(id: nextID, generation: generation))
        }
    }

    // MARK: Status

    /// The supervisor and its subtree as a snapshot.
    public func status() async -> NodeStatus {
        let now = clock.now
        let (state, reason): (NodeState, String?) = switch phase {
        case .idle, .stopped, .stopping: (.stopped, nil)
        case .starting: (.starting, nil)
        case .running: (.running, nil)
        case .failed(let why): (.failed, why)
        }
        var node = NodeStatus(
            path: path, id: path.isEmpty ? "root" : id, type: .supervisor, restart: nil,
            state: state, reason: reason, status: nil, pid: nil,
            restartsInWindow: window.count(now: now, period: configuration.intensity.period),
            restartsTotal: records.reduce(0) { $0 + $1.restartsTotal },
            lastExit: nil, uptimeSeconds: phase == .running ? startedAt.map { (now - $0).seconds } : nil,
            nextRestartInSeconds: nil, lastHeartbeatAgeSeconds: nil,
            children: await childStatuses(under: path))
        node.fillHealth()
        return node
    }

    /// Snapshots of the children, each path prefixed with `parentPath`.
    func childStatuses(under parentPath: String) async -> [NodeStatus] {
        let now = clock.now
        var result: [NodeStatus] = []
        for record in records {
            let childPath = parentPath.isEmpty ? record.spec.id : "\(parentPath)/\(record.spec.id)"
            var node = record.snapshot(path: childPath, now: now, period: configuration.intensity.period)
            if let nested = record.spec.supervisor {
                node.children = await nested.childStatuses(under: childPath)
            }
            result.append(node)
        }
        return result
    }

    /// `true` when no event is queued or being handled and no child is starting, in backoff
    /// or hung, here and in every nested supervisor. For tests of the loop.
    public func isSettled() async -> Bool {
        guard queued == 0, !processing else { return false }
        for record in records {
            if [.starting, .backoff, .hung].contains(record.state) { return false }
            if let nested = record.spec.supervisor, record.isRunning, !(await nested.isSettled()) { return false }
        }
        return true
    }

    // MARK: Helpers

    /// Seconds with one decimal, e.g. `4.0`.
    static func formatSeconds(_ duration: Duration) -> String {
        let tenths = (duration.seconds * 10).rounded()
        return "\(Int(tenths) / 10).\(abs(Int(tenths)) % 10)"
    }

    var displayPath: String { path.isEmpty ? "root" : path }

    func record(_ id: String) -> ChildRecord? { records.first { $0.spec.id == id } }

    func childPath(_ id: String) -> String { path.isEmpty ? id : "\(path)/\(id)" }

    func emit(_ kind: SupervisorEvent.Kind, _ path: String, _ detail: String?) {
        events.append(SupervisorEvent(path: path, kind: kind, detail: detail,
                                      monotonicSeconds: clock.now.seconds, wallSeconds: Date().timeIntervalSince1970))
    }
}
