import Logging
import Supervision
import Synchronization

/// Delivers injected faults to the daemon's workers. Off unless the daemon is started with
/// `--fault-injection` or `STEVEDORE_FAULT_INJECTION=1`; when off, ``wrap(_:)`` returns the
/// spec untouched, so production children run exactly their own code.
public final class FaultInjector: Sendable {
    /// Whether faults can be injected.
    public let isEnabled: Bool
    private let logger: Logger
    private struct Listener {
        var token: Int
        var continuation: AsyncStream<InjectedFault>.Continuation
    }
    private struct State {
        var nextToken = 0
        var listeners: [String: Listener] = [:]
        /// Paths in a crash loop.
        var crashLoops: Set<String> = []
    }
    private let state = Mutex(State())

    /// - Parameter enabled: from `--fault-injection` / `STEVEDORE_FAULT_INJECTION=1`.
    public init(enabled: Bool, logger: Logger) {
        isEnabled = enabled
        self.logger = logger
    }

    /// Paths of the running workers that can take a fault now, sorted.
    public var injectablePaths: [String] {
        state.withLock { $0.listeners.keys.sorted() }
    }

    /// Delivers `fault` to the running incarnation of the worker at `path` (e.g.
    /// `deployments/hello/poller`).
    ///
    /// - Throws: ``FaultInjectionError/disabled``, ``FaultInjectionError/notInjectable(_:injectable:)``.
    public func inject(_ fault: InjectedFault, at path: String) throws {
        guard isEnabled else { throw FaultInjectionError.disabled }
        if fault == .clear {
            let cleared = state.withLock { $0.crashLoops.remove(path) != nil }
            guard cleared else { throw FaultInjectionError.notCrashLooping(path, crashLooping: crashLoopPaths) }
            logger.warning("crash loop cleared", metadata: ["path": "\(path)"])
            return
        }
        let listener = state.withLock { $0.listeners[path] }
        guard let listener else { throw FaultInjectionError.notInjectable(path, injectable: injectablePaths) }
        logger.warning("injecting fault", metadata: ["path": "\(path)", "fault": "\(fault.rawValue)"])
        if fault == .crashLoop { state.withLock { _ = $0.crashLoops.insert(path) } }
        listener.continuation.yield(fault == .crashLoop ? .throw : fault)
    }

    /// Ends every crash loop at `path` or below it (a deployment being removed: a new one of
    /// the same name starts clean).
    public func clearCrashLoops(under path: String) {
        state.withLock { s in s.crashLoops = s.crashLoops.filter { $0 != path && !$0.hasPrefix(path + "/") } }
    }

    /// Paths in a crash loop now, sorted (what `clear` accepts).
    public var crashLoopPaths: [String] {
        state.withLock { $0.crashLoops.sorted() }
    }

    /// Wraps a worker spec so that its incarnations can receive faults. Supervisor specs and
    /// everything when disabled are returned unchanged.
    public func wrap(_ spec: ChildSpec) -> ChildSpec {
        guard isEnabled, spec.type == .worker else { return spec }
        return rewrap(spec) { [self] context, body in
            let fault = try await withThrowingTaskGroup(of: InjectedFault?.self) { group in
                group.addTask {
                    try await body(context)
                    return nil
                }
                group.addTask { await self.nextFault(for: context.path) }
                let first = try await group.next() ?? nil
                group.cancelAll()
                return first
            }
            guard let fault else { return }
            try await Self.act(fault, path: context.path)
        }
    }

    /// `spec` with its start replaced by `start` (which gets the original body), after the
    /// crash-loop check every wrapped incarnation makes first; backoff and revival kept.
    private func rewrap(
        _ spec: ChildSpec,
        _ start: @escaping @Sendable (ChildContext, @escaping @Sendable (ChildContext) async throws -> Void) async throws -> Void
    ) -> ChildSpec {
        let body = spec.start
        var wrapped = ChildSpec(
            id: spec.id, restart: spec.restart, shutdown: spec.shutdown, type: spec.type,
            significant: spec.significant, readiness: spec.readiness, liveness: spec.liveness,
            gracefulStop: spec.gracefulStop
        ) { [self] context in
            if state.withLock({ $0.crashLoops.contains(context.path) }) {
                throw FaultInjectionError.injected(path: context.path)
            }
            try await start(context, body)
        }
        wrapped.backoff = spec.backoff
        wrapped.revival = spec.revival
        return wrapped
    }

    /// Wraps a process-isolated worker (``ChildSpec/process(_:command:environment:restart:shutdown:readyTimeout:liveness:runtimeDirectory:control:logger:)``)
    /// so that its faults are acted out in its own process: each fault is passed to
    /// `deliver` (which sends it down the child's control pipe) while the body keeps
    /// running. A `trap` then ends the child's process only, which is the point of process
    /// isolation. A `crash-loop` makes each later incarnation fail at its start, in the daemon.
    public func wrapProcess(_ spec: ChildSpec, deliver: @escaping @Sendable (InjectedFault) async -> Void) -> ChildSpec {
        guard isEnabled, spec.type == .worker else { return spec }
        return rewrap(spec) { [self] context, body in
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await body(context) }
                group.addTask {
                    while let fault = await self.nextFault(for: context.path) { await deliver(fault) }
                }
                defer { group.cancelAll() }
                try await group.next()
            }
        }
    }

    /// Waits for a fault aimed at `path`; `nil` when cancelled (the real body ended first).
    private func nextFault(for path: String) async -> InjectedFault? {
        let (stream, continuation) = AsyncStream.makeStream(of: InjectedFault.self)
        let token = state.withLock { s -> Int in
            s.nextToken += 1
            s.listeners[path] = Listener(token: s.nextToken, continuation: continuation)
            return s.nextToken
        }
        defer {
            state.withLock { s in
                if s.listeners[path]?.token == token { s.listeners[path] = nil }
            }
        }
        for await fault in stream { return fault }
        return nil
    }

    /// Behaves as the fault says, in place of the child's real body (which has ended).
    private static func act(_ fault: InjectedFault, path: String) async throws {
        switch fault {
        case .throw, .crashLoop, .clear:
            throw FaultInjectionError.injected(path: path)
        case .hang:
            // No heartbeats; cancellation still ends it.
            while true { try await Task.sleep(for: .seconds(3600)) }
        case .trap:
            // Half a second first, so the API call that injected it gets its answer.
            try? await Task.sleep(for: .milliseconds(500))
            fatalError("injected fault: trap at \(path)")
        case .ignoreCancellation:
            // A continuation nobody resumes: cancellation cannot reach it, so this
            // incarnation never ends (deliberately leaked; the process must be restarted).
            await withUnsafeContinuation { (_: UnsafeContinuation<Void, Never>) in }
        }
    }
}
