import Foundation
import Synchronization

/// Something that happened in the supervision tree. The daemon persists these; operators see
/// them as the tree's history.
public struct SupervisorEvent: Sendable, Codable, Equatable {
    /// What happened.
    public enum Kind: String, Sendable, Codable {
        /// A child incarnation was launched.
        case started
        /// A child finished starting (READY, or at once for children without readiness).
        case ready
        /// A child incarnation ended on its own; `detail` is the exit reason.
        case exited
        /// A start attempt failed (threw before READY, or no READY in time).
        case startFailed = "start_failed"
        /// A child will be restarted after `detail` seconds of backoff.
        case backoff
        /// Restarting (after backoff, or by strategy as a sibling of the child that ended).
        case restarting
        /// A child missed its liveness deadline.
        case hung
        /// A child did not end within its shutdown timeout after cancellation.
        case stuck
        /// A child was stopped by its supervisor.
        case stopped
        /// A supervisor exceeded its restart intensity and gave up (its parent decides next).
        case escalated
        /// A supervisor shut itself down because significant children ended (auto_shutdown).
        case autoShutdown = "auto_shutdown"
        /// An operator acted on the tree (`detail` says what, and who when known).
        case admin
    }

    /// The node's path, e.g. `deployments/hello/poller` (`""` is the root).
    public var path: String
    /// What happened.
    public var kind: Kind
    /// Reason, delay or action, depending on ``kind``.
    public var detail: String?
    /// Seconds on the supervisor's monotonic clock (orders events; immune to clock changes).
    public var monotonicSeconds: Double
    /// Unix seconds of wall-clock time (for humans and logs).
    public var wallSeconds: Double

    /// An event with the given fields (supervisors make these; see the properties).
    public init(path: String, kind: Kind, detail: String?, monotonicSeconds: Double, wallSeconds: Double) {
        self.path = path
        self.kind = kind
        self.detail = detail
        self.monotonicSeconds = monotonicSeconds
        self.wallSeconds = wallSeconds
    }
}

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
