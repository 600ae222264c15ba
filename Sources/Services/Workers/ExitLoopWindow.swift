/// The reconciler's memory of the containers it had to start again: a container without a
/// restart policy that passes the health gate and then exits by itself a few seconds later
/// would otherwise be started on every pass, forever, and never reported.
///
/// Every restart is counted with its time (monotonic clock); restarts older than ``window``
/// are forgotten. From ``threshold`` restarts within the window on, each further one counts
/// as a failure: the reconciler reports `degraded` with ``reason`` and waits
/// ``delay(interval:)`` (the interval doubled per restart beyond the threshold − 1, at most
/// ``maximumDelay``) before its next pass, instead of restarting at the interval.
/// Pure logic (times are passed in); unit-tested.
public struct ExitLoopWindow: Sendable {
    /// How long a restart is remembered; default 10 minutes.
    public var window: Duration
    /// Restarts within ``window`` from which on the deployment is a crash loop; default 3.
    public var threshold: Int
    /// The longest wait between passes while looping; default 300 s.
    public var maximumDelay: Duration
    /// The remembered restarts, oldest first: when, and what was restarted (e.g.
    /// `p-web-1 exited (status 1)`).
    public private(set) var restarts: [(at: ContinuousClock.Instant, what: String)] = []

    /// An empty window with the given limits.
    public init(window: Duration = .seconds(600), threshold: Int = 3, maximumDelay: Duration = .seconds(300)) {
        self.window = window
        self.threshold = max(1, threshold)
        self.maximumDelay = maximumDelay
    }

    /// Forgets restarts older than ``window`` before `now`.
    public mutating func expire(now: ContinuousClock.Instant) {
        restarts.removeAll { now - $0.at > window }
    }

    /// Records a restart of `what` at `now`.
    public mutating func record(_ what: String, at now: ContinuousClock.Instant) {
        expire(now: now)
        restarts.append((now, what))
    }

    /// Whether the restarts within the window reach ``threshold``.
    public var isLooping: Bool { restarts.count >= threshold }

    /// The wait before the next pass: `interval` while not looping, else `interval` ×
    /// 2^(restarts − threshold + 1), at most ``maximumDelay`` (and never less than `interval`).
    public func delay(interval: Duration) -> Duration {
        guard isLooping else { return interval }
        let doublings = min(restarts.count - threshold + 1, 16)
        return max(interval, min(maximumDelay, interval * (1 << doublings)))
    }

    /// The degraded reason while looping (`nil` otherwise), e.g. `containers keep exiting by
    /// themselves: started again 3 times in the last 600 s (last: p-web-1 exited (status 1));
    /// next pass in 8 s`.
    public func reason(nextPassIn delay: Duration) -> String? {
        guard isLooping, let last = restarts.last else { return nil }
        return
            "containers keep exiting by themselves: started again \(restarts.count) times in the last \(window.components.seconds) s (last: \(last.what)); backing off, next pass in \(delay.components.seconds) s"
    }
}
