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
