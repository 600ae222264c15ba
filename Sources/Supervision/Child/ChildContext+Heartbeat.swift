/// Heartbeat helpers for workers with a liveness deadline (``ChildSpec/liveness``).
extension ChildContext {
    /// Sleeps `duration`, calling ``heartbeat()`` every `interval` meanwhile (a long poll
    /// interval must not look like a hang).
    ///
    /// - Throws: `CancellationError` when the child is cancelled.
    public func sleep(for duration: Duration, heartbeatEvery interval: Duration) async throws {
        let clock = ContinuousClock()
        let end = clock.now + duration
        while true {
            heartbeat()
            let now = clock.now
            guard now < end else { return }
            try await Task.sleep(until: min(end, now + interval), clock: clock)
        }
    }

    /// Runs `operation`, calling ``heartbeat()`` every `interval` until it ends. Use only for
    /// operations that are bounded by a timeout of their own (a subprocess with a deadline,
    /// an HTTP request with one): the heartbeats vouch for them.
    ///
    /// - Returns: what `operation` returns.
    /// - Throws: what `operation` throws.
    public func heartbeating<T: Sendable>(every interval: Duration, _ operation: @Sendable () async throws -> T) async throws -> T {
        try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask {
                while !Task.isCancelled {
                    self.heartbeat()
                    try? await Task.sleep(for: interval)
                }
                return nil
            }
            defer { group.cancelAll() }
            heartbeat()
            let result = try await operation()
            heartbeat()
            return result
        }
    }
}
