import Foundation
import Synchronization

/// Lets one report per key through every `interval` seconds and counts the ones held back
/// (for unauthenticated input such as refused webhook deliveries). Thread-safe. The interval
/// is measured on the monotonic clock: a wall clock set back by hours must not silence the
/// reports for hours.
final class RateLimitedLog: Sendable {
    private let interval: Duration
    private let state = Mutex<[String: (last: ContinuousClock.Instant, suppressed: Int)]>([:])

    /// - Parameter interval: seconds between two reports of one key.
    init(interval: Double) { self.interval = .milliseconds(Int64(interval * 1000)) }

    /// `nil` if a report for `key` was let through less than `interval` seconds ago (this one
    /// is counted); otherwise how many were held back since the last report.
    func admit(_ key: String, now: ContinuousClock.Instant = .now) -> Int? {
        state.withLock { entries in
            if let entry = entries[key], now - entry.last < interval {
                entries[key] = (entry.last, entry.suppressed + 1)
                return nil
            }
            let suppressed = entries[key]?.suppressed ?? 0
            entries[key] = (now, 0)
            return suppressed
        }
    }
}
