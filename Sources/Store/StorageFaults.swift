import Synchronization

/// The storage faults of the state database as they happen: the last write the filesystem
/// refused (``StoreError/diskFull(directory:)`` or ``StoreError/readOnly(directory:)``) until
/// a write succeeds again (``StateStore/probeWrite()``). Thread-safe; read without an actor
/// hop, so health checks and the API see it at once.
public final class StorageFaults: Sendable {
    private struct State {
        var current: StoreError?
        var refusedWrites = 0
    }
    private let state = Mutex(State())

    /// No fault yet.
    public init() {}

    /// The fault of the last refused write, `nil` once a write succeeded after it.
    public var current: StoreError? { state.withLock { $0.current } }

    /// Writes refused by the filesystem since the store was opened.
    public var refusedWrites: Int { state.withLock { $0.refusedWrites } }

    func record(_ error: StoreError) {
        state.withLock {
            $0.current = error
            $0.refusedWrites += 1
        }
    }

    func clear() { state.withLock { $0.current = nil } }
}
