import Synchronization

/// The storage faults of the state database as they happen: the last write the filesystem
/// refused (``StoreError/diskFull(directory:)`` or ``StoreError/readOnly(directory:)``) until
/// a write succeeds again (``StateStore/probeWrite()``). Thread-safe; read without an actor
/// hop, so health checks and the API see it at once.
public final class StorageFaults: Sendable {
    private struct State {
        var current: StoreError?
        var refusedWrites = 0
        var lowSpace = false
    }
    private let state = Mutex(State())

    /// No fault yet.
    public init() {}

    /// The fault of the last refused write, `nil` once a write succeeded after it.
    public var current: StoreError? { state.withLock { $0.current } }

    /// Writes refused by the filesystem since the store was opened.
    public var refusedWrites: Int { state.withLock { $0.refusedWrites } }

    /// Whether the state disk has almost no space left, as the `store` child last measured it
    /// (`statvfs(3)`: less than 1 MiB for an unprivileged writer). While it is set every commit
    /// of the state database is refused (``StoreError/diskFull(directory:)``, through SQLite's
    /// commit hook), even one that would still fit in space the write-ahead log already holds:
    /// the daemon says "nothing new can be recorded", and so it is, rather than some writes
    /// landing and others not depending on where the WAL happens to be.
    public var lowSpace: Bool { state.withLock { $0.lowSpace } }

    /// Sets ``lowSpace`` (the `store` child, after each look at the disk).
    public func setLowSpace(_ low: Bool) { state.withLock { $0.lowSpace = low } }

    func record(_ error: StoreError) {
        state.withLock {
            $0.current = error
            $0.refusedWrites += 1
        }
    }

    func clear() { state.withLock { $0.current = nil } }
}
