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
/// every restart `R >= Now - Period`). Stamps arrive in time order, so pruning drops them
/// from the front: recording is O(1) amortized however many restarts the period holds (a
/// scan of every stamp per restart made a crash loop under a large intensity quadratic).
struct RestartWindow {
    /// Stamps in time order; those before `first` are already pruned.
    private var stamps: [Duration] = []
    private var first = 0

    /// Records a restart at `now` and returns how many restarts fall within `period`
    /// ending at `now` (this one included).
    mutating func record(at now: Duration, period: Duration) -> Int {
        stamps.append(now)
        prune(now: now, period: period)
        return stamps.count - first
    }

    /// Restarts within `period` ending at `now`.
    func count(now: Duration, period: Duration) -> Int {
        var n = 0
        for stamp in stamps[first...].reversed() {
            guard now - stamp <= period else { break }
            n += 1
        }
        return n
    }

    mutating func prune(now: Duration, period: Duration) {
        while first < stamps.count, now - stamps[first] > period { first += 1 }
        if first > 32, first * 2 > stamps.count {
            stamps.removeFirst(first)
            first = 0
        }
    }

    mutating func reset() {
        stamps.removeAll()
        first = 0
    }
}
