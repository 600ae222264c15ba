/// Heartbeat helpers for workers with a liveness deadline (``ChildSpec/liveness``).
///
/// A worker that waits idle — between polls, for its next job, on an operation bounded by a
/// timeout of its own — vouches for the wait instead of waking to heartbeat during it: the
/// supervisor treats it as alive while it waits, and counts the deadline again from the end of
/// the wait. Nothing is lost: a wake-up only to heartbeat proved no more than that timers
/// fire, while an idle daemon with ten deployments woke about 150 times a minute for it. A
/// worker that hangs outside such a wait (stops calling ``heartbeat()``) is still `hung` one
/// deadline after its last beat, and a plain `Task.sleep` vouches for nothing.
extension ChildContext {
    /// Sleeps `duration` (monotonic), idle and vouched for: the supervisor's liveness deadline
    /// counts from the end of the sleep, and status shows a fresh heartbeat meanwhile. Beats
    /// once before and once after.
    ///
    /// - Parameter interval: no longer used (the sleep used to wake every `interval` to
    ///   heartbeat); kept so that callers need not change.
    /// - Throws: `CancellationError` when the child is cancelled.
    public func sleep(for duration: Duration, heartbeatEvery interval: Duration) async throws {
        heartbeat()
        let end = clock.now + duration
        vouchIdle(until: end)
        defer { endIdle(until: end) }
        try await Task.sleep(for: duration)
    }

    /// Runs `operation`, vouching for the child while it runs (an idle wait: the child counts
    /// as alive until it ends, and the end is a heartbeat). Use only for waits that end by
    /// themselves — operations bounded by a timeout of their own (a subprocess with a
    /// deadline, an HTTP request with one) or a wait for the next job of a queue.
    ///
    /// - Parameter interval: no longer used (a background task used to heartbeat every
    ///   `interval`); kept so that callers need not change.
    /// - Returns: what `operation` returns.
    /// - Throws: what `operation` throws.
    public func heartbeating<T: Sendable>(every interval: Duration, _ operation: @Sendable () async throws -> T) async throws -> T {
        heartbeat()
        beginIdle()
        defer { endIdle() }
        return try await operation()
    }
}
