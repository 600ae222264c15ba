/// At most `maxRestarts` restarts within any `period` (OTP `intensity` and `period`).
/// One restart more terminates the supervisor, which then fails to its own parent.
///
/// Stevedore's defaults are in ``SupervisorConfiguration``; OTP's own default is 1 in 5 s.
public struct RestartIntensity: Sendable, Equatable {
    /// Restarts allowed in a window (OTP `intensity`), ≥ 0.
    public var maxRestarts: Int
    /// Length of the sliding window (OTP `period`), > 0.
    public var period: Duration

    /// - Precondition: `maxRestarts >= 0` and `period > 0`.
    public init(maxRestarts: Int, period: Duration) {
        precondition(maxRestarts >= 0, "maxRestarts must be >= 0")
        precondition(period > .zero, "period must be > 0")
        self.maxRestarts = maxRestarts
        self.period = period
    }
}

/// The timestamps of recent restarts on a monotonic clock, pruned to a sliding window.
///
/// A restart exactly `period` old still counts, as in OTP (`supervisor:add_restart/3` keeps
/// every restart `R >= Now - Period`).
struct RestartWindow {
    private(set) var stamps: [Duration] = []

    /// Records a restart at `now` and returns how many restarts fall within `period`
    /// ending at `now` (this one included).
    mutating func record(at now: Duration, period: Duration) -> Int {
        stamps.append(now)
        prune(now: now, period: period)
        return stamps.count
    }

    /// Restarts within `period` ending at `now`.
    func count(now: Duration, period: Duration) -> Int {
        stamps.filter { now - $0 <= period }.count
    }

    mutating func prune(now: Duration, period: Duration) {
        stamps.removeAll { now - $0 > period }
    }

    mutating func reset() { stamps.removeAll() }
}
