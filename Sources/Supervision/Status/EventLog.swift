import Foundation
import Synchronization

/// A bounded in-memory ring of ``SupervisorEvent``s shared by the supervisors of one tree,
/// offered as an async stream to subscribers. Thread-safe.
public final class EventLog: Sendable {
    private struct State {
        var ring: [SupervisorEvent] = []
        var next = 0
        var total = 0
        var subscribers: [Int: AsyncStream<SupervisorEvent>.Continuation] = [:]
        var nextSubscriber = 0
    }
    private let state = Mutex(State())
    /// How many events are kept; older ones are dropped.
    public let capacity: Int

    /// - Parameter capacity: events kept in memory, ≥ 1; default 1,024.
    public init(capacity: Int = 1024) {
        precondition(capacity >= 1)
        self.capacity = capacity
    }

    /// Appends an event and hands it to every subscriber.
    public func append(_ event: SupervisorEvent) {
        let subscribers = state.withLock { s -> [AsyncStream<SupervisorEvent>.Continuation] in
            if s.ring.count < capacity {
                s.ring.append(event)
            } else {
                s.ring[s.next] = event
            }
            s.next = (s.next + 1) % capacity
            s.total += 1
            return Array(s.subscribers.values)
        }
        for subscriber in subscribers { subscriber.yield(event) }
    }

    /// The kept events, oldest first.
    public var recent: [SupervisorEvent] {
        state.withLock { s in
            s.ring.count < capacity ? s.ring : Array(s.ring[s.next...] + s.ring[..<s.next])
        }
    }

    /// Events appended since creation, including dropped ones.
    public var totalCount: Int { state.withLock { $0.total } }

    /// A stream of events appended from now on. Buffers at most `capacity` undelivered
    /// events per subscriber (the newest are kept).
    public func subscribe() -> AsyncStream<SupervisorEvent> {
        let (stream, continuation) = AsyncStream.makeStream(of: SupervisorEvent.self, bufferingPolicy: .bufferingNewest(capacity))
        let id = state.withLock { s -> Int in
            s.nextSubscriber += 1
            s.subscribers[s.nextSubscriber] = continuation
            return s.nextSubscriber
        }
        continuation.onTermination = { [weak self] _ in
            _ = self?.state.withLock { $0.subscribers.removeValue(forKey: id) }
        }
        return stream
    }
}
