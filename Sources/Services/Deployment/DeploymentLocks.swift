/// One async mutex per deployment: sync, deploy, down and reconcile of one deployment never
/// overlap, while different deployments proceed independently. Waiters are served in order.
public actor DeploymentLocks {
    private var held: Set<String> = []
    private var waiters: [String: [CheckedContinuation<Void, Never>]] = [:]

    /// No lock is held at first.
    public init() {}

    /// Runs `body` while holding `name`'s lock.
    public func withLock<T: Sendable>(_ name: String, _ body: @Sendable () async throws -> T) async rethrows -> T {
        await acquire(name)
        defer { release(name) }
        return try await body()
    }

    private func acquire(_ name: String) async {
        if !held.contains(name) {
            held.insert(name)
            return
        }
        await withCheckedContinuation { waiters[name, default: []].append($0) }
    }

    private func release(_ name: String) {
        if var queue = waiters[name], !queue.isEmpty {
            let next = queue.removeFirst()
            waiters[name] = queue.isEmpty ? nil : queue
            next.resume()  // ownership passes to the next waiter
        } else {
            held.remove(name)
        }
    }
}
