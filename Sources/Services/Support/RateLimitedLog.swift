import Synchronization

/// Reports of unauthenticated input (refused webhook deliveries), at most one per key per
/// `interval`: the first report of a key goes out at once and opens a window; the ones that
/// follow within it are counted, and when the window ends the count (with the last message)
/// goes out by itself, without waiting for a later report, and opens another window. A window
/// that ends with nothing held back closes, and the key is forgotten (callers bound the keys).
/// Timed with the monotonic clock (`Task.sleep`), so wall-clock jumps do not matter. Thread-safe.
final class RateLimitedLog<Key: Hashable & Sendable>: Sendable {
    /// What goes out for a key.
    enum Report: Sendable, Equatable {
        /// The first report of a window.
        case first(String)
        /// `count` reports held back during a window that just ended, and the last of them.
        case heldBack(count: Int, last: String)
    }

    private struct Window {
        var held = 0
        var last = ""
    }

    private let interval: Duration
    private let wait: @Sendable (Duration) async -> Void
    private let emit: @Sendable (Key, Report) async -> Void
    private let windows = Mutex<[Key: Window]>([:])

    /// - Parameters:
    ///   - interval: length of a window.
    ///   - wait: waits out a window (tests pass their own, to end windows when they choose).
    ///   - emit: sends a report out (logs it, records it).
    init(
        interval: Duration, wait: @escaping @Sendable (Duration) async -> Void = { try? await Task.sleep(for: $0) },
        emit: @escaping @Sendable (Key, Report) async -> Void
    ) {
        self.interval = interval
        self.wait = wait
        self.emit = emit
    }

    /// Reports `message` for `key`, or counts it if a window of `key` is open. Returns once a
    /// report that goes out at once has been emitted.
    func submit(_ key: Key, _ message: String) async {
        let opens = windows.withLock { windows in
            if windows[key] != nil {
                windows[key]?.held += 1
                windows[key]?.last = message
                return false
            }
            windows[key] = Window()
            return true
        }
        guard opens else { return }
        await emit(key, .first(message))
        closeLater(key)
    }

    /// Keys with an open window.
    var openWindows: Int { windows.withLock { $0.count } }

    private func closeLater(_ key: Key) {
        Task {
            await wait(interval)
            let ended = windows.withLock { windows -> Window? in
                guard let window = windows[key] else { return nil }
                guard window.held > 0 else {
                    windows[key] = nil
                    return nil
                }
                windows[key] = Window()
                return window
            }
            guard let ended else { return }
            await emit(key, .heldBack(count: ended.held, last: ended.last))
            closeLater(key)
        }
    }
}
