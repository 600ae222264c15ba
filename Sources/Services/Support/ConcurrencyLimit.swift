import Synchronization

/// At most `limit` holders at a time; a caller that finds them all taken is refused at once
/// (never queued). Thread-safe.
final class ConcurrencyLimit: Sendable {
    /// Holders allowed at the same time.
    let limit: Int
    private let held = Mutex(0)

    /// - Parameter limit: holders allowed at the same time (at least 1).
    init(limit: Int) { self.limit = max(1, limit) }

    /// Takes a slot: `false` (nothing taken) if `limit` are held. Each `true` needs one ``leave()``.
    func tryEnter() -> Bool {
        held.withLock { count in
            guard count < limit else { return false }
            count += 1
            return true
        }
    }

    /// Gives a slot back.
    func leave() { held.withLock { $0 = max(0, $0 - 1) } }

    /// Slots held now.
    var current: Int { held.withLock { $0 } }
}
