import Logging
import Store
import Supervision

/// The daemon's supervision tree (docs/SUPERVISION.md):
///
/// ```
/// root                 one_for_one, 5 restarts / 30 s
/// ├── store            permanent worker
/// ├── ssh-agent        permanent worker: one agent socket per deployment, keys in memory only
/// ├── http             permanent worker
/// ├── reaper           permanent worker (child subreaper, reaps orphans)
/// ├── log-streamer     permanent worker in its own process (`stevedore log-streamer`)
/// ├── deployments      supervisor, one_for_one, 10 / 60 s, children added at run time
/// │   └── <name>       supervisor (transient, revived), one_for_one, 5 / 60 s
/// │       ├── pipeline    permanent worker: runs the deploy jobs one at a time
/// │       ├── poller      permanent worker
/// │       └── reconciler  permanent worker
/// └── health-watchdog  permanent worker: READY=1, WATCHDOG=1, STATUS= to systemd
/// ```
///
/// Every worker has the liveness deadline of ``WorkerTiming``; with fault injection enabled
/// each worker is wrapped by ``FaultInjector/wrap(_:)``.
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
    private let readyLatch: HealthWatchdogWorker.ReadyLatch
    private let reconcileIntervalSeconds: Int
    private let pollBackoffMaxSeconds: Int
    /// Liveness deadline and heartbeat interval of every worker.
    public let timing: WorkerTiming
    /// Fault injection (disabled unless the daemon was started with it).
    public let faults: FaultInjector
    /// The log streamer's control feed, once ``configure(engine:api:host:port:notifier:unhealthyExitAfter:logStreamer:runtimeDirectory:)``
    /// added the `log-streamer` child; `nil` without one.
    public var logStreamer: LogStreamerFeed? { engineBox.logStreamer }
    private let logger: Logger

    /// Late-bound engine: the tree exists before the HTTP child that needs it.
    final class EngineBox: @unchecked Sendable {
        var engine: DeploymentEngine?
        var logStreamer: LogStreamerFeed?
    }

    /// Intensities per level (restarts, period in seconds).
    public static let rootIntensity = RestartIntensity(maxRestarts: 5, period: .seconds(30))
    /// Intensity of `deployments`: 10 restarts in 60 s.
    public static let deploymentsIntensity = RestartIntensity(maxRestarts: 10, period: .seconds(60))
    /// Intensity and revival of each `deployments/<name>` subtree (default 5 restarts in
    /// 60 s; revived after 30 s doubling to 5 min once it gives up).
    public let deploymentRestarts: DeploymentRestartPolicy

    /// Builds the tree; ``configure(engine:api:host:port:notifier:)`` adds the children.
    ///
    /// - Parameters:
    ///   - reconcileIntervalSeconds: seconds between reconciler passes.
    ///   - pollBackoffMaxSeconds: longest wait of a poller between failed checks, when longer
    ///     than the poll interval (``PollerWorker``); default 300.
    ///   - timing: liveness deadline of the workers.
    ///   - faults: fault injection; default disabled.
    ///   - deploymentRestarts: intensity and revival of the deployments' subtrees.
    public init(
        reconcileIntervalSeconds: Int, pollBackoffMaxSeconds: Int = PollerWorker.defaultBackoffMaxSeconds,
        timing: WorkerTiming = WorkerTiming(),
        deploymentRestarts: DeploymentRestartPolicy = DeploymentRestartPolicy(), faults: FaultInjector? = nil,
        clock: any SupervisorClock = ContinuousSupervisorClock(), logger: Logger
    ) {
        self.reconcileIntervalSeconds = reconcileIntervalSeconds
        self.pollBackoffMaxSeconds = pollBackoffMaxSeconds
        self.deploymentRestarts = deploymentRestarts
        self.timing = timing
        self.faults = faults ?? FaultInjector(enabled: false, logger: logger)
        self.logger = logger
        self.engineBox = EngineBox()
        self.readyLatch = HealthWatchdogWorker.ReadyLatch()
        self.clock = clock
        deployments = Supervisor(
            id: "deployments",
            configuration: SupervisorConfiguration(intensity: Self.deploymentsIntensity),
            clock: clock, logger: logger, events: events)
        root = Supervisor(
            id: "root", configuration: SupervisorConfiguration(intensity: Self.rootIntensity),
            clock: clock, logger: logger, events: events)
    }

    /// Adds the root's children in start order: `store`, `ssh-agent`, `http`, `reaper`,
    /// `log-streamer` (when `logStreamer` is given), `deployments` (with one
    /// subtree per registered deployment), `health-watchdog` (last: its start means the tree
    /// is up, and it sends `READY=1`). Call once, before running ``root``.
    ///
    /// - Parameter unhealthyExitAfter: without systemd, how long an unhealthy tree is
    ///   tolerated before the process exits (``HealthWatchdogWorker``); `nil`: never.
    /// - Parameter logStreamer: the feed of the process-isolated `log-streamer` child;
    ///   `nil`: no log streamer (tests of the tree alone).
    /// - Parameter runtimeDirectory: where the streamer's notify socket is created.
    public func configure(
        engine: DeploymentEngine, api: AdminAPI, host: String, port: Int,
        notifier: SystemdNotifier = .disabled, unhealthyExitAfter: Duration? = nil,
        logStreamer: LogStreamerFeed? = nil, runtimeDirectory: String = "/run/stevedore"
    ) async throws {
        engineBox.engine = engine
        engineBox.logStreamer = logStreamer
        try await root.startChild(
            faults.wrap(StoreWorker.spec(store: engine.store, root: engine.root.path, timing: timing, logger: logger)))
        if let agents = engine.agents {
            try await root.startChild(faults.wrap(SSHAgentWorker.spec(agents: agents, store: engine.store, timing: timing, logger: logger)))
        }
        try await root.startChild(faults.wrap(HTTPWorker.spec(api: api, host: host, port: port, timing: timing, logger: logger)))
        try await root.startChild(
            faults.wrap(
                OrphanReaper.spec(
                    interval: min(.seconds(10), timing.heartbeatInterval), liveness: timing.livenessDeadline)))
        if let logStreamer {
            let spec = LogStreamerWorker.spec(feed: logStreamer, runtimeDirectory: runtimeDirectory, timing: timing, logger: logger)
            try await root.startChild(faults.wrapProcess(spec) { fault in await logStreamer.send(fault: fault) })
        }
        for record in try await engine.store.deployments() {
            try await deployments.startChild(deploymentSpec(record.name, engine: engine))
        }
        try await root.startChild(.supervisor(deployments))
        try await root.startChild(
            faults.wrap(
                HealthWatchdogWorker.spec(
                    status: { [root] in await root.status() }, notifier: notifier, latch: readyLatch,
                    timing: timing, unhealthyExitAfter: unhealthyExitAfter, logger: logger)))
    }

    /// Paths an operator may not stop, with the reason (restart is allowed).
    public static let unstoppable: [String: String] = [
        "root": "the root cannot be stopped through the API; stop the daemon (`systemctl stop stevedore`)",
        HealthWatchdogWorker.id:
            "stopping the health watchdog would stop the systemd watchdog pings and make systemd restart the daemon; use `restart` instead",
        "http": "stopping the admin API through the admin API would leave nothing to start it again; use `restart` instead",
    ]

    /// Adds (and, if running, starts) the subtree of a newly registered deployment.
    ///
    /// - Throws: `SupervisorError.alreadyPresent` if it exists.
    public func addDeployment(_ name: String) async throws {
        guard let engine = engineBox.engine else { return }
        try await deployments.startChild(deploymentSpec(name, engine: engine))
        await logStreamer?.refresh()
    }

    /// Stops a deployment's subtree and deletes it from `deployments` (before its removal),
    /// and ends any crash-loop fault under it.
    ///
    /// - Returns: `false` if there was no such subtree.
    /// - Throws: `SupervisorError.stuck` if a child ignores its shutdown.
    @discardableResult
    public func removeDeployment(_ name: String) async throws -> Bool {
        faults.clearCrashLoops(under: "deployments/\(name)")
        do {
            try await deployments.terminateChild(name)
            try await deployments.deleteChild(name)
            return true
        } catch SupervisorError.notFound {
            return false
        }
    }

    /// Whether the root's child `id` is running now.
    public func isRunning(_ id: String) async -> Bool {
        await root.status().find(path: id)?.state == .running
    }

    /// Whether the tree is up and `READY=1` was sent (or would have been, without systemd).
    public var isReady: Bool { readyLatch.isSet }

    /// A snapshot of the whole tree.
    public func status() async -> NodeStatus { await root.status() }

    private func deploymentSpec(_ name: String, engine: DeploymentEngine) -> ChildSpec {
        let subtree = Supervisor(
            id: name,
            configuration: SupervisorConfiguration(intensity: deploymentRestarts.intensity),
            clock: clock, logger: logger, events: events,
            children: [
                faults.wrap(
                    PipelineWorker.spec(
                        deployment: name, engine: engine, timing: timing,
                        // A new commit may change `x-stevedore.logs`: the streamer gets the new limits.
                        afterRun: { [engineBox] in await engineBox.logStreamer?.refresh() }, logger: logger)),
                faults.wrap(
                    PollerWorker.spec(
                        deployment: name, engine: engine, backoffMaxSeconds: pollBackoffMaxSeconds, timing: timing, logger: logger)),
                faults.wrap(
                    ReconcilerWorker.spec(
                        deployment: name, engine: engine, intervalSeconds: reconcileIntervalSeconds,
                        timing: timing, logger: logger)),
            ])
        // Transient with a revival: giving up (OTP reason `shutdown`) is not restarted by
        // `deployments` and not counted there; the subtree comes back after the revival delay.
        return .supervisor(subtree, restart: .transient, revival: deploymentRestarts.revival)
    }
}
