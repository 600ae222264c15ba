import Synchronization

/// A ``SupervisorClock`` backed by Swift's `ContinuousClock` (monotonic, keeps counting while
/// the machine is suspended, never jumps with wall-clock changes).
public struct ContinuousSupervisorClock: SupervisorClock {
    private let origin: ContinuousClock.Instant

    /// Creates a clock whose origin is the moment of creation.
    public init() { origin = ContinuousClock.now }

    /// Time since this clock was created.
    public var now: Duration { ContinuousClock.now - origin }

    /// Sleeps on `ContinuousClock`. - Throws: `CancellationError`.
    public func sleep(until deadline: Duration) async throws {
        try await ContinuousClock().sleep(until: origin.advanced(by: deadline), tolerance: nil)
    }
}
