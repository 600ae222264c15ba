import NIOCore
import NIOPosix

/// The daemon's SwiftNIO threads: ONE `MultiThreadedEventLoopGroup` for the whole process,
/// with one event loop thread unless `STEVEDORE_NIO_THREADS` says otherwise, and as many
/// threads in NIO's blocking-work pool (`NIOThreadPool.singleton`).
///
/// The group is NIO's own singleton (`MultiThreadedEventLoopGroup.singleton`), sized by
/// ``configure(threads:)`` before anything uses it, so every user shares it without being
/// handed it: the admin API (Hummingbird's default `.singleton` provider), the Engine API
/// clients (AsyncHTTPClient's `HTTPClient.defaultEventLoopGroup`), the SSH agent sockets
/// (``SSHAgentServer``), and in-process Git clients. New code takes ``group``. Left alone, NIO
/// makes one event loop thread per core of the machine (and as many blocking-pool threads):
/// the daemon's work is a few requests a minute, which one thread serves (each idle thread
/// costs its stack and wake-ups; a Raspberry Pi has no memory to spare).
///
/// Used by `stevedore daemon` and the `stevedore log-streamer` process (which inherits
/// `STEVEDORE_NIO_THREADS`); client commands and tests keep NIO's default.
public enum DaemonEventLoops {
    /// Event loop threads when `STEVEDORE_NIO_THREADS` is not set: 1.
    public static let defaultThreads = 1
    /// The largest accepted `STEVEDORE_NIO_THREADS`: 64.
    public static let maximumThreads = 64
    /// The environment variable that overrides ``defaultThreads``.
    public static let variable = "STEVEDORE_NIO_THREADS"

    /// The daemon's event loop group (after ``configure(threads:)``: that many threads).
    public static var group: MultiThreadedEventLoopGroup { .singleton }

    /// The thread count `environment` asks for: `STEVEDORE_NIO_THREADS`, a whole number from 1
    /// to ``maximumThreads``; ``defaultThreads`` when unset or empty.
    ///
    /// - Throws: ``ServiceError/invalidSetting(name:value:allowed:)`` naming the variable and
    ///   the bad value.
    public static func threads(environment: [String: String]) throws -> Int {
        guard let text = environment[variable], !text.isEmpty else { return defaultThreads }
        guard let count = Int(text), (1...maximumThreads).contains(count) else {
            throw ServiceError.invalidSetting(name: variable, value: text, allowed: "a whole number from 1 to \(maximumThreads)")
        }
        return count
    }

    /// Sizes NIO's singleton event loop group and blocking pool to `threads` threads each.
    ///
    /// Call once, first thing in the process, before any NIO use: NIO traps when the size is
    /// set after a singleton was created or set twice (`NIOSingletons.groupLoopCountSuggestion`).
    ///
    /// - Parameter threads: 1 to ``maximumThreads`` (see ``threads(environment:)``).
    public static func configure(threads: Int) {
        let count = min(max(threads, 1), maximumThreads)
        NIOSingletons.groupLoopCountSuggestion = count
        NIOSingletons.blockingPoolThreadCountSuggestion = count
    }
}
