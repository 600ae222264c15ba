import Docker
import Foundation
import LogStreamer
import Logging
import NIOPosix
import Redaction
import ServiceLifecycle
import Store
import Supervision

/// `stevedore daemon`: opens the state, builds the supervision tree and runs it until
/// SIGTERM/SIGINT (graceful: children stop in reverse start order; workload containers are
/// never stopped) or until the root supervisor gives up (then it throws, and the process
/// exits non-zero so that systemd or Docker restarts it).
public struct Daemon {
    /// Settings read from the environment.
    public let configuration: DaemonConfiguration
    /// Receives the daemon's log (stderr under systemd: the journal).
    public let logger: Logger

    /// Prepares a daemon; nothing happens until ``run()``.
    public init(configuration: DaemonConfiguration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
    }

    /// Gives every deployment registered before deploy keys existed (schema 1) a key of its
    /// own, so that `repo key` and SSH URLs work for it too.
    static func ensureDeployKeys(store: StateStore, logger: Logger) async throws {
        let keyed = Set(try await store.deployKeys().map(\.deployment))
        for record in try await store.deployments() where !keyed.contains(record.name) {
            let key = DeployKey.generate()
            let publicKey = key.openSSHPublicKey(comment: "stevedore:\(record.name)")
            try await store.setDeployKey(
                DeployKeyRecord(
                    deployment: record.name, keyType: DeployKey.keyType, privateSeed: key.seed,
                    publicKey: publicKey, createdAt: Date().timeIntervalSince1970))
            logger.notice(
                "generated a deploy key for a deployment that had none; see `stevedore repo key \(record.name)`",
                metadata: ["deployment": "\(record.name)"])
        }
    }

    /// Runs the daemon.
    ///
    /// - Throws: ``ServiceError/rootLocked(root:pid:)`` if another daemon runs on the root,
    ///   ``ServiceError/databaseKeyMissing(database:keyFile:)``,
    ///   `StoreError.wrongKey` (database key mismatch), `ComposeError.notInstalled`,
    ///   `SupervisorError.restartIntensityExceeded` when the root gives up.
    public func run() async throws {
        let notifier = SystemdNotifier(environment: configuration.environment)
        if notifier.isEnabled {
            logger.info(
                "running under systemd",
                metadata: [
                    "watchdog": "\(notifier.watchdogTimeout.map { "\($0.seconds) s" } ?? "off")"
                ])
        }
        let startup = StartupProgress(notifier: notifier, logger: logger)
        defer { startup.finish() }
        let root = configuration.root
        try root.createBaseDirectories()
        let lock = try StateRootLock(root: root)
        defer { withExtendedLifetime(lock) {} }
        let databaseExists = FileManager.default.fileExists(atPath: root.database)
        let keyConfigured =
            (configuration.environment["STEVEDORE_DB_KEY"] ?? "") != "" || (configuration.environment["STEVEDORE_DB_KEY_FILE"] ?? "") != ""
        if databaseExists, !keyConfigured, !FileManager.default.fileExists(atPath: root.databaseKey) {
            throw ServiceError.databaseKeyMissing(database: root.database, keyFile: root.databaseKey)
        }
        let key = try DatabaseKey.resolve(environment: configuration.environment, defaultFile: root.databaseKey, generate: !databaseExists)
        let store = try StateStore(path: root.database, key: key)
        let adminKey = try AdminKey.load(root: root, generate: true)
        let docker = DockerEngine()
        do {
            let version = try await docker.ping()
            logger.info("Docker engine reachable", metadata: ["api": "\(version)"])
        } catch {
            logger.warning("Docker engine not reachable yet; deployments will report degraded", metadata: ["error": "\(error)"])
        }
        let flavor = try await ComposeRunner.detect(preferV1: configuration.preferComposeV1)
        logger.info("Compose detected", metadata: ["compose": "\(flavor)"])
        // A daemon killed outside systemd (whose KillMode= ends the whole cgroup) leaves its
        // Compose runs going: one must not go on beside this daemon's own run of the project.
        let orphans = ComposeRunner.killLeftovers(root: root.path)
        if !orphans.isEmpty { logger.notice("killed leftover Compose runs", metadata: ["process_groups": "\(orphans)"]) }
        let executor: any GitExecutor
        switch configuration.gitMode {
        case .local:
            let killed = LocalGitExecutor.killLeftovers(root: root.path)
            if !killed.isEmpty { logger.notice("killed leftover local git runs", metadata: ["process_groups": "\(killed)"]) }
            executor = LocalGitExecutor()
        case .worker:
            // Not root (the systemd unit's `stevedore` user): workers run as the daemon's user,
            // so that it owns what they write, with a passwd entry for ssh.
            let user = GitWorkerUser.current(passwdFile: root.gitWorkerPasswd)
            if let user {
                let text = GitWorkerUser.passwdText(uid: user.uid, gid: user.gid, name: GitWorkerUser.currentUserName())
                try AtomicFile.write(Data(text.utf8), to: user.passwdFile, mode: 0o644)
            }
            let workers = GitWorkerExecutor(
                docker: docker, image: configuration.gitImage, extraLabels: ["com.stevedore.root": root.path], user: user)
            do {
                let removed = try await workers.removeLeftovers()
                if removed > 0 { logger.notice("removed leftover git workers", metadata: ["count": "\(removed)"]) }
            } catch {
                logger.warning("cannot look for leftover git workers", metadata: ["error": "\(error)"])
            }
            executor = workers
        }
        logger.info(
            "git mode",
            metadata: [
                "mode": "\(configuration.gitMode.rawValue)", "check": "\(configuration.gitCheckMethod.rawValue)",
                "image": "\(configuration.gitImage)", "uid": "\(getuid())",
                "runtime_dir": "\(configuration.runtimeDirectory)",
            ])
        // The in-process check (the default; STEVEDORE_GIT_CHECK=ls-remote turns it off): on the daemon's one shared
        // NIO group (the one Hummingbird, AsyncHTTPClient and the agents use), with one HTTP
        // client for the process's life, whose connections are reused between polls.
        let git = GitClient(
            executor: executor, timeout: .seconds(configuration.gitTimeoutSeconds), checkMethod: configuration.gitCheckMethod,
            discovery: GitRefDiscovery(eventLoopGroup: MultiThreadedEventLoopGroup.singleton, httpClient: GitHTTPRefs.sharedClient))
        try await Self.ensureDeployKeys(store: store, logger: logger)
        let agents = SSHAgents(runtimeDirectory: configuration.runtimeDirectory)
        let engine = DeploymentEngine(
            root: root, store: store, docker: docker, compose: ComposeRunner(flavor: flavor), git: git,
            agents: agents, hostRoot: configuration.hostRoot, logger: logger)
        do {
            let leftovers = try await engine.removeLeftoversOfUncleanStop()
            if !leftovers.isEmpty { logger.notice("removed leftovers of an unclean stop", metadata: ["paths": "\(leftovers)"]) }
        } catch {
            // A read-only state disk: the leftovers stay until the next start.
            logger.error("cannot remove the leftovers of an unclean stop yet", metadata: ["error": "\(error)"])
        }
        // Runs the previous daemon died in are closed as interrupted and run again (as a
        // pipeline restart requeues its run): the cut may have left the containers half replaced.
        do {
            if try await store.closeInterruptedRuns() > 0 {
                logger.notice("closed deploy runs left open by the previous daemon as interrupted")
            }
        } catch let error as StoreError where error.isStorageFault {
            // A full or read-only state disk must not keep the daemon from starting: the
            // workloads run on, and the `store` child closes those runs once it can write.
            logger.error("cannot close the runs left open by the previous daemon yet", metadata: ["error": "\(error)"])
        }
        for name in try await engine.resumeInterruptedRuns() {
            logger.notice("the last deploy run was interrupted: running it again", metadata: ["deployment": "\(name)"])
        }
        let faults = FaultInjector(enabled: configuration.faultInjection, logger: logger)
        if faults.isEnabled {
            logger.warning("fault injection is ON (STEVEDORE_FAULT_INJECTION / --fault-injection): for drills and tests only")
        }
        let tree = DaemonTree(
            reconcileIntervalSeconds: configuration.reconcileIntervalSeconds,
            pollBackoffMaxSeconds: configuration.pollBackoffMaxSeconds,
            timing: configuration.timing, deploymentRestarts: configuration.deploymentRestarts,
            faults: faults, logger: logger)
        let api = AdminAPI(
            engine: engine, tree: tree, adminKey: adminKey,
            defaultPollIntervalSeconds: configuration.defaultPollIntervalSeconds,
            publicURL: configuration.publicURL, logger: logger)
        // A write to a child's control pipe after it died must fail with EPIPE, not kill the daemon.
        signal(SIGPIPE, SIG_IGN)
        let logFeed =
            configuration.logStreamer
            ? LogStreamerFeed(
                engine: engine, defaults: configuration.logLimits, extraSecrets: [Secret(key: "admin-key", value: adminKey)],
                heartbeatSeconds: Double(configuration.livenessDeadlineSeconds) / 4, logger: logger) : nil
        try await tree.configure(
            engine: engine, api: api, host: configuration.listenHost, port: configuration.listenPort,
            notifier: notifier,
            unhealthyExitAfter: configuration.unhealthyExitAfterSeconds > 0 ? .seconds(configuration.unhealthyExitAfterSeconds) : nil,
            logStreamer: logFeed, runtimeDirectory: configuration.runtimeDirectory)
        startup.watch(until: { tree.isReady })
        if let delay = configuration.codeReleaseDelay {
            // Once start-up is over, and every 10 minutes: the code it ran stays mapped otherwise
            // (StartupCodeRelease).
            Task.detached(priority: .background) { [logger] in
                await StartupCodeRelease.run(after: delay) { outcome in
                    logger.debug(
                        "released the code mappings",
                        metadata: [
                            "mappings": "\(outcome.mappings)", "rss_kib_before": "\(outcome.residentKiBBefore)",
                            "rss_kib_after": "\(outcome.residentKiBAfter)",
                        ])
                }
            }
        }
        try? await store.recordEvent(deployment: nil, kind: "daemon", message: "started \(StevedoreVersion.current)")
        logger.info(
            "stevedore daemon starting",
            metadata: [
                "root": "\(root.path)", "listen": "\(configuration.listenHost):\(configuration.listenPort)",
                "version": "\(StevedoreVersion.current)", "commit": "\(StevedoreVersion.commit ?? "unknown")",
            ])
        // Signalled in reverse order: STOPPING=1 first, then the pipelines' waiters are
        // answered, then the tree stops.
        let group = ServiceGroup(
            configuration: .init(
                services: [
                    .init(
                        service: RootService(root: tree.root, notifier: notifier), successTerminationBehavior: .gracefullyShutdownGroup,
                        failureTerminationBehavior: .gracefullyShutdownGroup),
                    .init(
                        service: GracefulShutdownHook { [logger] in
                            await engine.pipelines.shutDown()
                            logger.info("shutting down: waiting deploy requests answered as interrupted")
                        },
                        successTerminationBehavior: .ignore, failureTerminationBehavior: .ignore),
                    .init(
                        service: GracefulShutdownHook { [logger] in
                            notifier.stopping()
                            if notifier.isEnabled { logger.info("sent STOPPING=1 to systemd") }
                        },
                        successTerminationBehavior: .ignore, failureTerminationBehavior: .ignore),
                ],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger))
        do {
            try await group.run()
        } catch {
            // The root gave up (RootService sent WATCHDOG=trigger) or could not start: exit
            // non-zero so that systemd restarts the daemon.
            try? await store.recordEvent(deployment: nil, kind: "daemon", message: "stopped: \(error)")
            throw error
        }
        try? await store.recordEvent(deployment: nil, kind: "daemon", message: "stopped")
        logger.info("stevedore daemon stopped")
    }
}
