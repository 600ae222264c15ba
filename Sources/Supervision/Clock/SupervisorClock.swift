import Synchronization

/// The monotonic time source a ``Supervisor`` uses for restart-intensity windows, backoff
/// delays, uptimes and heartbeat ages.
///
/// Time is a `Duration` since an arbitrary origin fixed for the clock's lifetime (like
/// `CLOCK_MONOTONIC`): only differences are meaningful. Production code uses
/// ``ContinuousSupervisorClock``; tests inject a ``ManualClock`` so that no test depends on
/// the machine being fast.
public protocol SupervisorClock: Sendable {
    /// Time elapsed since the clock's origin.
    var now: Duration { get }

    /// Suspends until ``now`` is at or past `deadline`.
    ///
    /// - Throws: `CancellationError` if the calling task is cancelled first.
    func sleep(until deadline: Duration) async throws
}
