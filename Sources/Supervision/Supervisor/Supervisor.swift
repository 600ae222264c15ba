// OTP supervisor: the supervisor itself — its state, init (children started in order) and the
// loop that handles one event at a time (child exits, timers, admin requests).
import Foundation
import Logging
import ServiceLifecycle

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
        /// Nothing to do: makes the loop look at the phase again (after an exit was handled
        /// outside it, see ``childExited(id:generation:reason:)``).
        case wake
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
    var window = RestartWindow()
    var startedAt: Duration?
    var loop: AsyncStream<LoopEvent>.Continuation?
    var queued = 0
    /// Whether an event is being handled (by the loop, or by an ended child's task).
    var processing = false
    /// The loop, waiting for an event handled outside it to be done.
    var processingWaiters: [CheckedContinuation<Void, Never>] = []
    var shutdownRequested = false
    var terminalError: (any Error)?
    var nextWaiterID = 0
    var pendingAdmin: [Int: (AdminRequest, CheckedContinuation<Void, any Error>)] = [:]

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
        // OTP `init/1` → `check_startspec`: a bad child list fails the start before anything runs.
        var seen = Set<String>()
        for record in records {
            try validate(record.spec)
            guard seen.insert(record.spec.id).inserted else { throw SupervisorError.alreadyPresent(record.spec.id) }
        }
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
    func noteShutdownRequested() {
        shutdownRequested = true
        for record in records where record.readyWaiter != nil { record.task?.cancel() }
    }

    func startAllAndLoop(stream: AsyncStream<LoopEvent>, context: ChildContext?) async throws {
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
            await beginProcessing()
            await handle(event)
            endProcessing()
            if let terminalError { throw terminalError }
            if phase == .stopped { return }
        }
        // The stream ends early when this task is cancelled (AsyncStream returns nil on
        // cancellation): the queued `.shutdown` was never handled, so stop the children here —
        // once an exit being handled outside the loop is done (it may be starting a child).
        await beginProcessing()
        defer { endProcessing() }
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

    /// Waits until no event is being handled (by the loop, or by an ended child's task in
    /// ``childExited(id:generation:reason:)``), then claims the handling: one at a time.
    func beginProcessing() async {
        while processing { await withCheckedContinuation { processingWaiters.append($0) } }
        processing = true
    }

    /// Ends the handling of one event and lets a waiting loop go on.
    func endProcessing() {
        processing = false
        if !processingWaiters.isEmpty { processingWaiters.removeFirst().resume() }
    }

    func enqueue(_ event: LoopEvent) {
        guard let loop else { return }
        queued += 1
        loop.yield(event)
    }

    func handle(_ event: LoopEvent) async {
        switch event {
        case .wake:
            return
        case .shutdown:
            guard phase == .running else { return }
            phase = .stopping
            await stopAll()
            phase = .stopped
        case .exited(let id, let generation, let reason, let uptime):
            guard phase == .running, let record = record(id), record.generation == generation, !record.stopRequested else { return }
            emit(.exited, childPath(id), reason.description)
            await afterEnd(record, reason: reason, uptime: uptime)
        case .restartDue(let id, let generation):
            guard phase == .running, let record = record(id), record.generation == generation, record.state == .backoff else { return }
            let group = record.restartGroup.isEmpty ? [id] : record.restartGroup
            record.restartTimer = nil
            await restart(group: group, owner: record)
        case .livenessCheck(let id, let generation):
            guard phase == .running, let record = record(id), record.generation == generation, record.isRunning else { return }
            await checkLiveness(record)
        case .admin(let id):
            guard let (request, continuation) = pendingAdmin.removeValue(forKey: id) else { return }
            do {
                try await perform(request)
                continuation.resume()
            } catch {
                continuation.resume(throwing: error)
            }
        }
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
        events.append(
            SupervisorEvent(
                path: path, kind: kind, detail: detail,
                monotonicSeconds: clock.now.seconds, wallSeconds: Date().timeIntervalSince1970))
    }
}
