import Foundation

/// Exponential backoff between restarts of one child (beyond OTP, which restarts at once).
///
/// The n-th consecutive restart (n ≥ 1) waits `initial × multiplier^(n−1)`, capped at
/// `maximum`, then spread by ±`jitter` (a fraction) so that siblings do not restart in
/// lock-step. The count goes back to zero once the child has stayed up for `resetAfter`.
/// Intensity and backoff compose: the intensity window counts restarts, backoff spaces them.
public struct BackoffPolicy: Sendable, Equatable {
    /// Delay before the first restart.
    public var initial: Duration
    /// Upper bound of the delay before jitter.
    public var maximum: Duration
    /// Growth factor per consecutive restart, ≥ 1.
    public var multiplier: Double
    /// Fraction in 0...1: the delay is multiplied by a factor drawn from `1 ± jitter`.
    public var jitter: Double
    /// Uptime after which the consecutive-restart count resets.
    public var resetAfter: Duration

    /// Defaults: 500 ms doubling to 30 s, ±20 % jitter, reset after 60 s of uptime.
    public init(
        initial: Duration = .milliseconds(500), maximum: Duration = .seconds(30),
        multiplier: Double = 2, jitter: Double = 0.2, resetAfter: Duration = .seconds(60)
    ) {
        precondition(multiplier >= 1 && (0...1).contains(jitter))
        self.initial = initial
        self.maximum = maximum
        self.multiplier = multiplier
        self.jitter = jitter
        self.resetAfter = resetAfter
    }

    /// No delay at all (plain OTP behaviour).
    public static let none = BackoffPolicy(initial: .zero, maximum: .zero, jitter: 0)

    /// The delay before consecutive restart number `attempt` (1-based), drawing the jitter
    /// from `random` (a value in `0..<1`) only when there is jitter to draw: the default
    /// generator costs a `getrandom(2)` call, which a restart without jitter need not pay.
    public func delay(attempt: Int, random: () -> Double) -> Duration {
        delay(attempt: attempt, unitRandom: jitter > 0 ? random() : 0.5)
    }

    /// The delay before consecutive restart number `attempt` (1-based).
    ///
    /// - Parameter unitRandom: a value in `0..<1` that picks the jitter; 0.5 means none.
    public func delay(attempt: Int, unitRandom: Double) -> Duration {
        let n = max(attempt, 1)
        let cap = maximum.seconds
        // Capped before it can overflow: 2^(n−1) is infinite for n > 1024, and 0 × ∞ is NaN,
        // which `Duration` traps on (found by the 10,000-crash benchmark).
        let growth = pow(multiplier, Double(min(n - 1, 512)))
        var seconds = initial.seconds * growth
        if !seconds.isFinite || seconds > cap { seconds = cap }
        seconds *= 1 + jitter * (2 * min(max(unitRandom, 0), 1) - 1)
        return .seconds(max(seconds, 0))
    }
}

extension Duration {
    /// This duration in (fractional) seconds.
    public var seconds: Double {
        let (s, attos) = components
        return Double(s) + Double(attos) / 1e18
    }
}
