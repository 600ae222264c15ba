import Logging
import ServiceLifecycle

/// How a supervisor reacts when one child ends (OTP restart strategy).
/// Only `one_for_one` exists in this version: the child that ended is restarted alone.
public enum RestartStrategy: String, Sendable, Codable {
    case oneForOne = "one_for_one"
}

/// The policy of one ``Supervisor``.
public struct SupervisorConfiguration: Sendable {
    /// Restart strategy; `.oneForOne`.
    public var strategy: RestartStrategy
    /// Restart intensity. Stevedore's default is 5 restarts in 30 s, looser than OTP's 1 in
    /// 5 s because backoff already spaces restarts out (docs/SUPERVISION.md).
    public var intensity: RestartIntensity
    /// Backoff between restarts of one child.
    public var backoff: BackoffPolicy
    /// Source of jitter, a value in `0..<1`; inject a constant in tests.
    public var random: @Sendable () -> Double

    /// Defaults: one_for_one, 5 restarts in 30 s, ``BackoffPolicy/init(initial:maximum:multiplier:jitter:resetAfter:)``'s defaults, uniform random jitter.
    public init(
        strategy: RestartStrategy = .oneForOne,
        intensity: RestartIntensity = RestartIntensity(maxRestarts: 5, period: .seconds(30)),
        backoff: BackoffPolicy = BackoffPolicy(),
        random: @escaping @Sendable () -> Double = { Double.random(in: 0..<1) }
    ) {
        self.strategy = strategy
        self.intensity = intensity
        self.backoff = backoff
        self.random = random
    }
}

/// An Erlang/OTP-style supervisor: runs children from ``ChildSpec``s, restarts them by their
/// restart type with backoff, and gives up when restarts exceed the restart intensity — then
/// it stops every child (reverse start order) and `run()` throws
/// ``SupervisorError/restartIntensityExceeded(supervisor:maxRestarts:period:lastReason:)``
/// so that its parent (another supervisor, or swift-service-lifecycle's `ServiceGroup` for
/// the root) applies its own policy.
///
/// Source: Erlang/OTP `supervisor` behaviour (child specs, restart types, intensity/period);
/// backoff and degraded states are Stevedore's additions (docs/SUPERVISION.md).
///
/// Children run in detached tasks, so a graceful shutdown reaches them only through their
/// supervisor, top-down and in reverse start order.
public actor Supervisor: Service {
    private enum Phase: Equatable {
        case idle, running, stopping, stopped
        case failed(String)
    }

    /// The supervisor's id: its child id under its parent.
    public nonisolated let id: String
    /// Strategy, intensity and backoff.
    public nonisolated let configuration: SupervisorConfiguration
    private let clock: any SupervisorClock
    private let logger: Logger
    private var records: [ChildRecord]
    private var phase: Phase = .idle
    private var path = ""
    private var window = RestartWindow()
    private var startedAt: Duration?
    private var completion: CheckedContinuation<Void, any Error>?
    private var pendingResult: Result<Void, any Error>?
    private var nextWaiterID = 0

    /// - Parameters:
    ///   - id: the supervisor's id (its path component under a parent).
    ///   - configuration: strategy, restart intensity, backoff.
    ///   - clock: monotonic time source; inject a ``ManualClock`` in tests.
    ///   - logger: receives start/exit/restart/give-up events.
    ///   - children: child specs, started in this order by ``run()``.
    public init(
        id: String,
        configuration: SupervisorConfiguration = SupervisorConfiguration(),
        clock: any SupervisorClock = ContinuousSupervisorClock(),
        logger: Logger = Logger(label: "stevedore.supervisor"),
        children: [ChildSpec] = []
    ) {
        self.id = id
        self.configuration = configuration
        self.clock = clock
        self.logger = logger
        self.records = children.map(ChildRecord.init(spec:))
    }

    // MARK: Running

    /// Runs the supervisor as the root of a tree (path `""`) until it is cancelled, shut
    /// down gracefully (swift-service-lifecycle), or gives up.
    ///
    /// - Throws: ``SupervisorError/restartIntensityExceeded(supervisor:maxRestarts:period:lastReason:)``
    ///   when it gives up; ``SupervisorError/alreadyRunning(_:)`` if already running.
    public func run() async throws {
        try await run(path: "")
    }

    /// Runs the supervisor with `path` as its place in the tree (children get
    /// `path/childID`). Returns normally after a cancellation or graceful shutdown, once
    /// every child has ended or been reported `stuck`.
    ///
    /// - Throws: as ``run()``.
    public func run(path: String) async throws {
        guard phase != .running, phase != .stopping else { throw SupervisorError.alreadyRunning(id) }
        self.path = path
        phase = .running
        window.reset()
        pendingResult = nil
        startedAt = clock.now
        logger.debug("supervisor starting", metadata: ["path": "\(displayPath)", "children": "\(records.count)"])
        for record in records {
            record.resetForNewRun()
            start(record)
        }
        try await withTaskCancellationOrGracefulShutdownHandler {
            try await self.awaitCompletion()
        } onCancelOrGracefulShutdown: {
            Task { await self.shutdown() }
        }
    }

    /// Stops every child in reverse start order and makes ``run()`` return normally.
    public func shutdown() async {
        guard phase == .running else { return }
        phase = .stopping
        await stopAll()
        phase = .stopped
        finish(.success(()))
    }

    // MARK: Runtime API (OTP supervisor:start_child/terminate_child/restart_child/delete_child)

    /// Adds a child and, if the supervisor is running, starts it (OTP `start_child`).
    ///
    /// - Throws: ``SupervisorError/alreadyPresent(_:)`` if a child with that id exists.
    public func startChild(_ spec: ChildSpec) throws {
        guard record(spec.id) == nil else { throw SupervisorError.alreadyPresent(spec.id) }
        let record = ChildRecord(spec: spec)
        records.append(record)
        if phase == .running { start(record) }
    }

    /// Stops a child and keeps its spec (OTP `terminate_child`); it is not restarted until
    /// ``restartChild(_:)``. Waits for the child to end, at most its shutdown timeout.
    ///
    /// - Throws: ``SupervisorError/notFound(_:)``.
    public func terminateChild(_ id: String) async throws {
        guard let record = record(id) else { throw SupervisorError.notFound(id) }
        await stop(record)
    }

    /// Starts a terminated child again from its spec (OTP `restart_child`).
    ///
    /// - Throws: ``SupervisorError/notFound(_:)``, ``SupervisorError/running(_:)`` if it runs.
    public func restartChild(_ id: String) throws {
        guard let record = record(id) else { throw SupervisorError.notFound(id) }
        guard !record.isRunning else { throw SupervisorError.running(id) }
        record.restartTimer?.cancel()
        record.restartTimer = nil
        record.consecutiveRestarts = 0
        if phase == .running { start(record) }
    }

    /// Removes a terminated child's spec (OTP `delete_child`).
    ///
    /// - Throws: ``SupervisorError/notFound(_:)``, ``SupervisorError/running(_:)`` if it runs.
    public func deleteChild(_ id: String) throws {
        guard let record = record(id) else { throw SupervisorError.notFound(id) }
        guard !record.isRunning else { throw SupervisorError.running(id) }
        record.restartTimer?.cancel()
        records.removeAll { $0 === record }
    }

    /// The ids of the children, in start order (OTP `which_children`, ids only).
    public var childIDs: [String] { records.map(\.spec.id) }

    /// The supervisor and its subtree as a snapshot.
    public func status() async -> NodeStatus {
        let now = clock.now
        let (state, reason): (NodeState, String?) = switch phase {
        case .idle, .stopped, .stopping: (.stopped, nil)
        case .running: (.running, nil)
        case .failed(let why): (.failed, why)
        }
        return NodeStatus(
            path: path, id: path.isEmpty ? "root" : id, type: .supervisor, restart: nil,
            state: state, reason: reason, status: nil,
            restartsInWindow: window.count(now: now, period: configuration.intensity.period),
            restartsTotal: records.reduce(0) { $0 + $1.restartsTotal },
            lastExit: nil, uptimeSeconds: phase == .running ? startedAt.map { (now - $0).seconds } : nil,
            nextRestartInSeconds: nil, lastHeartbeatAgeSeconds: nil,
            children: await childStatuses(under: path))
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

    // MARK: Internals

    private var displayPath: String { path.isEmpty ? "root" : path }

    private func record(_ id: String) -> ChildRecord? { records.first { $0.spec.id == id } }

    private func childPath(_ id: String) -> String { path.isEmpty ? id : "\(path)/\(id)" }

    private func awaitCompletion() async throws {
        if let result = pendingResult {
            pendingResult = nil
            return try result.get()
        }
        try await withCheckedThrowingContinuation { completion = $0 }
    }

    private func finish(_ result: Result<Void, any Error>) {
        if let completion {
            self.completion = nil
            completion.resume(with: result)
        } else {
            pendingResult = result
        }
    }

    private func start(_ record: ChildRecord) {
        record.generation += 1
        let generation = record.generation
        let spec = record.spec
        let context = ChildContext(path: childPath(spec.id), clock: clock)
        record.context = context
        record.state = .running
        record.reason = nil
        record.startedAt = clock.now
        record.nextRestartAt = nil
        record.stopRequested = false
        logger.debug("child started", metadata: ["path": "\(context.path)", "generation": "\(generation)"])
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
            await self?.childExited(id: spec.id, generation: generation, reason: reason)
        }
    }

    private func childExited(id: String, generation: Int, reason: ExitReason) async {
        guard let record = record(id), record.generation == generation else { return }
        let now = clock.now
        let uptime = now - (record.startedAt ?? now)
        record.task = nil
        record.startedAt = nil
        record.lastExit = reason
        record.resumeExitWaiters()
        if record.stopRequested || phase != .running {
            record.state = .stopped
            return
        }
        let restart: Bool = switch record.spec.restart {
        case .permanent: true
        case .transient: reason.isAbnormal
        case .temporary: false
        }
        let childPath = childPath(id)
        guard restart else {
            record.state = .stopped
            logger.info("child ended, not restarted", metadata: ["path": "\(childPath)", "reason": "\(reason)"])
            return
        }
        let intensity = configuration.intensity
        let inWindow = window.record(at: now, period: intensity.period)
        _ = record.restartStamps.record(at: now, period: intensity.period)
        record.restartsTotal += 1
        if inWindow > intensity.maxRestarts {
            record.state = .failed
            record.reason = reason.description
            await giveUp(lastReason: "\(childPath): \(reason)")
            return
        }
        if uptime >= configuration.backoff.resetAfter { record.consecutiveRestarts = 0 }
        record.consecutiveRestarts += 1
        let delay = configuration.backoff.delay(attempt: record.consecutiveRestarts, unitRandom: configuration.random())
        logger.warning("child ended, restarting", metadata: [
            "path": "\(childPath)", "reason": "\(reason)", "delay_s": "\(delay.seconds)",
            "restarts_in_window": "\(inWindow)",
        ])
        guard delay > .zero else {
            start(record)
            return
        }
        let due = now + delay
        record.state = .backoff
        record.nextRestartAt = due
        record.restartTimer = Task.detached { [weak self, clock] in
            do { try await clock.sleep(until: due) } catch { return }
            await self?.restartDue(id: id, generation: generation)
        }
    }

    private func restartDue(id: String, generation: Int) {
        guard phase == .running, let record = record(id), record.generation == generation,
              record.state == .backoff else { return }
        record.restartTimer = nil
        start(record)
    }

    private func giveUp(lastReason: String) async {
        guard phase == .running else { return }
        let intensity = configuration.intensity
        let error = SupervisorError.restartIntensityExceeded(
            supervisor: displayPath, maxRestarts: intensity.maxRestarts, period: intensity.period,
            lastReason: lastReason)
        logger.error("supervisor giving up", metadata: ["path": "\(displayPath)", "error": "\(error)"])
        phase = .stopping
        await stopAll()
        phase = .failed(error.description)
        finish(.failure(error))
    }

    private func stopAll() async {
        for record in records.reversed() { await stop(record) }
    }

    /// Cancels a child and waits for it within its shutdown policy; marks it `stuck` if it
    /// does not end in time.
    private func stop(_ record: ChildRecord) async {
        record.stopRequested = true
        record.restartTimer?.cancel()
        record.restartTimer = nil
        record.nextRestartAt = nil
        guard let task = record.task else {
            if record.state != .failed { record.state = .stopped }
            return
        }
        task.cancel()
        if await waitForExit(record) {
            record.state = .stopped
        } else {
            record.state = .stuck
            record.reason = "did not end within its shutdown timeout after cancellation"
            logger.error("child stuck", metadata: ["path": "\(childPath(record.spec.id))"])
        }
    }

    /// `true` once the current incarnation has ended; `false` if the shutdown timeout passed.
    private func waitForExit(_ record: ChildRecord) async -> Bool {
        guard record.isRunning else { return true }
        nextWaiterID += 1
        let waiterID = nextWaiterID
        let id = record.spec.id
        let deadline: Duration? = if case .timeout(let limit) = record.spec.shutdown { clock.now + limit } else { nil }
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
}
