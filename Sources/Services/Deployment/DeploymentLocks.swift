/// One async mutex per deployment: sync, deploy, down and reconcile of one deployment never
/// overlap, while different deployments proceed independently. Waiters are served in order.
///
/// Waiting is cancellable: a task cancelled while it waits (e.g. the reconciler, stopped at
/// shutdown while a long deploy holds the lock) leaves the queue at once with
/// `CancellationError` instead of hanging until the holder is done (which made it `stuck`).
public actor DeploymentLocks {
    private var held: Set<String> = []
    private var waiters: [String: [(id: UInt64, continuation: CheckedContinuation<Void, any Error>)]] = [:]
    private var nextWaiter: UInt64 = 0

    /// No lock is held at first.
    public init() {}

    /// Runs `body` while holding `name`'s lock.
    ///
    /// - Throws: `CancellationError` if the task is cancelled while it waits for the lock (the
    ///   body never ran); whatever `body` throws.
    public func withLock<T: Sendable>(_ name: String, _ body: @Sendable () async throws -> T) async throws -> T {
        try await acquire(name)
        defer { release(name) }
        return try await body()
    }

    /// Whether `name`'s lock is held.
    public func isHeld(_ name: String) -> Bool { held.contains(name) }

    /// How many tasks wait for `name`'s lock.
    public func waiting(_ name: String) -> Int { waiters[name]?.count ?? 0 }

    private func acquire(_ name: String) async throws {
        if !held.contains(name) {
            held.insert(name)
            return
        }
        try Task.checkCancellation()
        nextWaiter += 1
        let id = nextWaiter
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                if Task.isCancelled {
                    continuation.resume(throwing: CancellationError())
                } else {
                    waiters[name, default: []].append((id, continuation))
                }
            }
        } onCancel: {
            Task { await self.cancelWaiter(name, id) }
        }
    }

    private func cancelWaiter(_ name: String, _ id: UInt64) {
        guard var queue = waiters[name], let index = queue.firstIndex(where: { $0.id == id }) else { return }
        let waiter = queue.remove(at: index)
        waiters[name] = queue.isEmpty ? nil : queue
        waiter.continuation.resume(throwing: CancellationError())
    }

    private func release(_ name: String) {
        if var queue = waiters[name], !queue.isEmpty {
            let next = queue.removeFirst()
            waiters[name] = queue.isEmpty ? nil : queue
            next.continuation.resume()  // ownership passes to the next waiter
        } else {
            held.remove(name)
        }
    }
}
