/// Liveness settings shared by the daemon's workers: each worker has a liveness deadline
/// (``Supervision/ChildSpec/liveness``) and heartbeats four times per deadline, including
/// while it sleeps between rounds and while it waits on an operation that has a timeout of
/// its own (git, Compose, Engine API calls).
public struct WorkerTiming: Sendable, Equatable {
    /// A worker without a heartbeat for this long is `hung` and restarted in-process.
    public var livenessDeadline: Duration
    /// How often workers heartbeat: a quarter of the deadline.
    public var heartbeatInterval: Duration { livenessDeadline / 4 }

    /// - Parameter livenessDeadline: `STEVEDORE_LIVENESS_DEADLINE`, default 60 s.
    public init(livenessDeadline: Duration = .seconds(60)) {
        self.livenessDeadline = livenessDeadline
    }
}
