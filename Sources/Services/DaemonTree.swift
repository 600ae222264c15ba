import Logging
import Store
import Supervision

/// The daemon's supervision tree (docs/SUPERVISION.md):
///
/// ```
/// root                 one_for_one, 5 restarts / 30 s
/// ├── store            permanent worker
/// ├── http             permanent worker
/// ├── reaper           permanent worker (child subreaper, reaps orphans)
/// └── deployments      supervisor, one_for_one, 10 / 60 s, children added at run time
///     └── <name>       supervisor, one_for_one, 5 / 60 s
///         ├── poller      permanent worker
///         └── reconciler  permanent worker
/// ```
///
/// `deployments/<name>` is one_for_one: a fault in the poller does not disturb the
/// reconciler, which keeps containers up meanwhile.
public final class DaemonTree: Sendable {
    /// The root supervisor (a swift-service-lifecycle `Service`).
    public let root: Supervisor
    /// The dynamic `deployments` supervisor.
    public let deployments: Supervisor
    /// Events of every supervisor of the tree (bounded ring, 1,024).
    public let events = EventLog()
    private let clock: any SupervisorClock
    private let engineBox: EngineBox
    private let reconcileIntervalSeconds: Int
    private let logger: Logger

    /// Late-bound engine: the tree exists before the HTTP child that needs it.
    final class EngineBox: @unchecked Sendable {
        var engine: DeploymentEngine?
    }

    /// Intensities per level (restarts, period in seconds).
    public static let rootIntensity = RestartIntensity(maxRestarts: 5, period: .seconds(30))
    /// Intensity of `deployments`: 10 restarts in 60 s.
    public static let deploymentsIntensity = RestartIntensity(maxRestarts: 10, period: .seconds(60))
    /// Intensity of each `deployments/<name>` subtree: 5 restarts in 60 s.
    public static let deploymentIntensity = RestartIntensity(maxRestarts: 5, period: .seconds(60))

    /// Builds the tree; ``start(engine:store:api:host:port:)`` adds the children.
    public init(reconcileIntervalSeconds: Int, clock: any SupervisorClock = ContinuousSupervisorClock(), logger: Logger) {
        self.reconcileIntervalSeconds = reconcileIntervalSeconds
        self.logger = logger
        self.engineBox = EngineBox()
        self.clock = clock
        deployments = Supervisor(
            id: "deployments",
            configuration: SupervisorConfiguration(intensity: Self.deploymentsIntensity),
            clock: clock, logger: logger, events: events)
        root = Supervisor(id: "root", configuration: SupervisorConfiguration(intensity: Self.rootIntensity),
                          clock: clock, logger: logger, events: events)
    }

    /// Adds the root's children in start order: `store`, `http`, `reaper`, `deployments` (with one
    /// subtree per registered deployment). Call once, before running ``root``.
    public func configure(engine: DeploymentEngine, api: AdminAPI, host: String, port: Int) async throws {
        engineBox.engine = engine
        try await root.startChild(StoreWorker.spec(store: engine.store, logger: logger))
        try await root.startChild(HTTPWorker.spec(api: api, host: host, port: port, logger: logger))
        try await root.startChild(OrphanReaper.spec())
        for record in try await engine.store.deployments() {
            try await deployments.startChild(deploymentSpec(record.name, engine: engine))
        }
        try await root.startChild(.supervisor(deployments))
    }

    /// Adds (and, if running, starts) the subtree of a newly registered deployment.
    ///
    /// - Throws: `SupervisorError.alreadyPresent` if it exists.
    public func addDeployment(_ name: String) async throws {
        guard let engine = engineBox.engine else { return }
        try await deployments.startChild(deploymentSpec(name, engine: engine))
    }

    /// A snapshot of the whole tree.
    public func status() async -> NodeStatus { await root.status() }

    private func deploymentSpec(_ name: String, engine: DeploymentEngine) -> ChildSpec {
        let subtree = Supervisor(
            id: name,
            configuration: SupervisorConfiguration(intensity: Self.deploymentIntensity),
            clock: clock, logger: logger, events: events,
            children: [
                PollerWorker.spec(deployment: name, engine: engine, logger: logger),
                ReconcilerWorker.spec(deployment: name, engine: engine, intervalSeconds: reconcileIntervalSeconds, logger: logger),
            ])
        return .supervisor(subtree, restart: .transient)
    }
}
