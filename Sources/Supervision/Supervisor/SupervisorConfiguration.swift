import Foundation

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
