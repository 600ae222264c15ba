import Docker
import Foundation
import Logging
import Store
import Synchronization

/// Sync, deploy, stop and inspect deployments: the work behind the poller, the reconciler,
/// the admin API and the CLI. All changing operations on one deployment are serialized by
/// ``DeploymentLocks``.
public final class DeploymentEngine: Sendable {
    /// Where checkouts, data and logs live.
    public let root: StateRoot
    /// The state database.
    public let store: StateStore
    /// The Engine API client (container listing and health).
    public let docker: DockerEngine
    /// Runs `compose up`/`down`.
    public let compose: ComposeRunner
    /// Runs the Git operations (worker containers or local subprocesses).
    public let git: GitClient
    /// The deployments' agent sockets; `nil` when no agent runs (SSH URLs then fail clearly).
    public let agents: SSHAgents?
    /// Where the Docker host sees the state root (`STEVEDORE_HOST_ROOT`), when the daemon runs
    /// in a container with the root mounted elsewhere; `nil`: the same path.
    public let hostRoot: String?
    /// The deploy pipelines' mailboxes (one per deployment).
    public let pipelines = PipelineQueue()
    /// Per deployment, the services `up` starts in the running commit (from `compose config`),
    /// learnt by the reconciler after each deploy; forgotten when a run ends.
    let expectedServices = Mutex<[String: Set<String>]>([:])
    let locks = DeploymentLocks()
    let logger: Logger

    /// Wires the engine; nothing runs until a method is called.
    public init(
        root: StateRoot, store: StateStore, docker: DockerEngine, compose: ComposeRunner,
        git: GitClient, agents: SSHAgents? = nil, hostRoot: String? = nil, logger: Logger = Logger(label: "stevedore.engine")
    ) {
        self.hostRoot = hostRoot
        self.root = root
        self.store = store
        self.docker = docker
        self.compose = compose
        self.git = git
        self.agents = agents
        self.logger = logger
    }

    /// Records `error` as the deployment's last error, unless the work was cancelled (a
    /// shutdown or a supervisor restart is not a fault of the deployment).
    func recordFailure(_ name: String, _ what: String, _ error: any Error) async {
        if error is CancellationError || Task.isCancelled { return }
        try? await store.recordError(name, "\(what): \(error)")
    }

    /// `path` (under the state root) as the Docker host sees it: with ``hostRoot`` set, the
    /// root's prefix is replaced by it (`/state/deployments/x/data` → `/srv/stevedore/deployments/x/data`).
    public func hostPath(_ path: String) -> String {
        guard let hostRoot, path == root.path || path.hasPrefix(root.path + "/") else { return path }
        return hostRoot + path.dropFirst(root.path.count)
    }

    /// Compose project name of a deployment: `stevedore-<name>`.
    public static func projectName(_ name: String) -> String { "stevedore-\(name)" }

    /// The record of `name`.
    ///
    /// - Throws: ``ServiceError/unknownDeployment(_:)``.
    public func deployment(_ name: String) async throws -> DeploymentRecord {
        guard let record = try await store.deployment(named: name) else { throw ServiceError.unknownDeployment(name) }
        return record
    }

    /// The commit the remote branch points at; recorded as the last check. In-process
    /// (`STEVEDORE_GIT_CHECK=in-process`) an SSH remote is asked with the deploy key from the
    /// database, and the `ssh-agent` child need not serve the deployment.
    ///
    /// - Throws: ``ServiceError/unknownDeployment(_:)``, `GitError` (recorded as last error).
    public func checkRemote(_ name: String) async throws -> String {
        let record = try await deployment(name)
        do {
            let needsAgent = git.checkNeedsAgent(url: record.url)
            let seed = git.checkMethod == .inProcess && GitURL.usesSSH(record.url) ? try await store.deployKey(of: name)?.privateSeed : nil
            let commit = try await git.remoteHead(
                url: record.url, branch: record.branch, access: try await access(record, needsAgent: needsAgent),
                scratch: root.deployment(name) + "/probe", sshKeySeed: seed)
            try await store.recordCheck(name, remoteCommit: commit)
            // A check that works again ends an earlier check's error (sync and deploy clear their own).
            if try await store.status(of: name).lastError?.hasPrefix("check: ") == true { try await store.recordError(name, nil) }
            return commit
        } catch {
            await recordFailure(name, "check", error)
            throw error
        }
    }

    /// Fetches the branch into `deployments/<name>/repo` and records the synced commit.
    ///
    /// - Returns: the commit now checked out.
    /// - Throws: ``ServiceError/unknownDeployment(_:)``, `GitError`.
    public func sync(_ name: String) async throws -> String {
        let record = try await deployment(name)
        return try await locks.withLock(name) { try await self.syncLocked(record) }
    }

    private func syncLocked(_ record: DeploymentRecord) async throws -> String {
        do {
            try root.createDeploymentDirectories(record.name)
            let commit = try await syncCheckout(record)
            try await store.recordSync(record.name, commit: commit)
            try? await store.recordEvent(deployment: record.name, kind: "sync", message: "synced \(commit.prefix(12))")
            logger.info("synced", metadata: ["deployment": "\(record.name)", "commit": "\(commit)"])
            return commit
        } catch {
            await recordFailure(record.name, "sync", error)
            throw error
        }
    }

    /// An operator's `deploy up`: resumes a paused deployment and runs the pipeline on the
    /// newest commit (fetch, checks, `compose up`, health gate, rollback on failure), waiting
    /// for the run that serves the request (a run already going is followed by at most one
    /// more, which takes every request that arrived meanwhile).
    ///
    /// - Parameters:
    ///   - force: retry a commit that failed before.
    ///   - trigger: `cli` or `api`, recorded in the history.
    /// - Returns: the run's result; check ``RunResult/isSuccess``.
    /// - Throws: ``ServiceError/unknownDeployment(_:)``, `CancellationError` if the pipeline
    ///   stopped.
    public func up(_ name: String, force: Bool = false, trigger: String = "api") async throws -> RunResult {
        _ = try await deployment(name)
        return try await pipelines.submitAndWait(name, RunRequest(trigger: trigger, force: force, explicit: true))
    }

    /// Runs `compose down` and then disables the deployment, so that neither the poller nor
    /// the reconciler brings it back until ``up(_:)``. Without a usable checkout (no Compose
    /// file, or no checkout at all) it brings the project down by its name alone. If `down`
    /// fails, the deployment stays enabled and the error is thrown.
    ///
    /// - Throws: ``ServiceError/unknownDeployment(_:)``, `ProcessError`.
    public func down(_ name: String) async throws {
        _ = try await deployment(name)
        try await locks.withLock(name) {
            if let project = try? await self.composeProject(name) {
                try await self.compose.down(project)
            } else {
                try await self.compose.down(projectName: Self.projectName(name))
            }
            try await self.store.setEnabled(name, false)
            try? await self.store.recordEvent(deployment: name, kind: "down", message: "stopped by operator")
        }
    }

    /// What one poll did.
    public enum PollOutcome: Sendable, Equatable {
        /// Paused by `deploy down`.
        case disabled
        /// The remote head is what runs.
        case upToDate(String)
        /// The remote head is the commit that failed last time: not retried.
        case failedBefore(String)
        /// A pipeline run is going or queued: it takes the newest commit itself.
        case busy
        /// A run was requested for this new commit.
        case triggered(String)
    }

    /// One poller pass: checks the remote (recorded, so `status` shows when a paused
    /// deployment falls behind); if its head is new (neither running nor the commit that
    /// failed last time) and the deployment is enabled, asks the pipeline for a run. Does not
    /// wait for the run.
    ///
    /// - Throws: errors of ``checkRemote(_:)``.
    public func poll(_ name: String) async throws -> PollOutcome {
        let record = try await deployment(name)
        let remote = try await checkRemote(name)
        guard record.enabled else { return .disabled }
        let status = try await store.status(of: name)
        if status.deployedCommit == remote { return .upToDate(remote) }
        if status.failedCommit == remote { return .failedBefore(remote) }
        if await pipelines.isBusy(name) { return .busy }
        await pipelines.submit(name, RunRequest(trigger: "poll"))
        return .triggered(remote)
    }

    /// What one reconciler pass did.
    public enum ReconcileOutcome: Sendable, Equatable {
        /// Paused, or never deployed: nothing to keep up.
        case notApplicable
        /// Every container runs (or completed its one-shot job).
        case ok
        /// Stopped containers were started again (the text lists them).
        case restarted(String)
        /// No containers at all, or none for some service: the pipeline must deploy again (the
        /// caller asks it, outside the lock). The text says what is missing.
        case needsDeploy(String)
    }

    /// One reconciler pass, for an enabled, once-deployed deployment:
    /// - stopped containers are started again as they were created (Engine API), so a
    ///   broken commit synced after the last good deploy is never what comes back;
    /// - one-shot containers that exited 0 without a restart policy count as completed;
    /// - a container an interrupted `compose up` left under a temporary name
    ///   (``DockerEngine/isRecreateLeftover(_:)``) is removed and the deployment redeployed;
    /// - with no containers at all, or none for a service `up` starts, it answers
    ///   ``ReconcileOutcome/needsDeploy(_:)``: the pipeline redeploys (the running commit, or a
    ///   newer one), see ``redeploy(_:)``.
    ///
    /// Everything happens under the deployment's lock: a deploy in progress has containers
    /// in `created` state that must not trigger a second start.
    ///
    /// - Throws: `DockerError` (engine down: degraded), errors of `compose up`.
    public func reconcile(_ name: String) async throws -> ReconcileOutcome {
        let record = try await deployment(name)
        let status = try await store.status(of: name)
        guard record.enabled, status.deployedCommit != nil else { return .notApplicable }
        return try await locks.withLock(name) {
            guard let current = try await self.store.deployment(named: name), current.enabled else { return .notApplicable }
            let containers = try await self.docker.containers(project: Self.projectName(name))
            var stopped: [(container: ContainerSummary, exitCode: Int?)] = []
            for container in containers where container.state != "running" {
                let details = try? await self.docker.inspect(container: container.id)
                if details?.hasCompleted != true { stopped.append((container, details?.state.exitCode)) }
            }
            let why: String
            if containers.isEmpty {
                return .needsDeploy("no containers")
            }
            // A `compose up` an earlier daemon was killed in left a container under a temporary
            // name (it may hold the ports and serve another commit): gone, and redeployed.
            let leftovers = containers.filter { DockerEngine.isRecreateLeftover($0.name) }
            if !leftovers.isEmpty {
                try await self.docker.removeRecreateLeftovers(project: Self.projectName(name))
                return .needsDeploy("removed \(leftovers.map(\.name).joined(separator: ", ")), left by an interrupted compose up")
            }
            let missing = (await self.servicesStartedByUp(name) ?? []).subtracting(containers.compactMap(\.service)).sorted()
            if !missing.isEmpty {
                return .needsDeploy("no container for " + missing.joined(separator: ", "))
            } else if !stopped.isEmpty {
                why = stopped.map { c in
                    "\(c.container.name) \(c.container.state)" + (c.exitCode.map { " (status \($0))" } ?? "")
                }.joined(separator: ", ")
                for (container, _) in stopped {
                    try await self.docker.start(container: container.id)
                }
            } else {
                return .ok
            }
            try? await self.store.recordEvent(deployment: name, kind: "reconcile", message: "restarted: \(why)")
            self.logger.notice("reconciled", metadata: ["deployment": "\(name)", "reason": "\(why)"])
            return .restarted(why)
        }
    }

    /// The reconciler's redeploy of a deployment without containers: a `reconcile` run of the
    /// pipeline, waited for.
    ///
    /// - Throws: ``ServiceError/redeployFailed(_:)`` when the run did not succeed.
    public func redeploy(_ name: String) async throws -> RunResult {
        let result = try await pipelines.submitAndWait(name, RunRequest(trigger: "reconcile"))
        guard result.isSuccess || result.outcome == RunOutcome.skipped else {
            throw ServiceError.redeployFailed("\(result.outcome): \(result.reason ?? "")")
        }
        return result
    }

    /// Health of the deployment's containers (a service of the running commit without a
    /// container counts as unhealthy, once the reconciler has learnt the services).
    public func health(_ name: String) async -> DeploymentHealth {
        await DeploymentHealth.inspect(
            project: Self.projectName(name), docker: docker,
            expected: expectedServices.withLock { $0[name] })
    }

    /// The services `up` starts in the checkout (the running commit between runs), cached
    /// until the next pipeline run ends; `nil` if `compose config` cannot tell.
    func servicesStartedByUp(_ name: String) async -> Set<String>? {
        if let known = expectedServices.withLock({ $0[name] }) { return known }
        guard let project = try? await composeProject(name), let text = try? await compose.config(project),
            let config = try? ComposeConfig.parse(text)
        else { return nil }
        let services = Set(config.servicesStartedByUp)
        expectedServices.withLock { $0[name] = services }
        return services
    }

    /// The Compose project of a synced deployment, with its environment: `STEVEDORE_DEPLOYMENT`,
    /// `STEVEDORE_DATA`, `STEVEDORE_LOGS`, `STEVEDORE_SHARED` (host paths: see ``hostPath(_:)``)
    /// and the deployment's parameters.
    ///
    /// - Throws: `ComposeError.noComposeFile`.
    public func composeProject(_ name: String) async throws -> ComposeProject {
        let directory = root.repo(name)
        let file = try ComposeFile.locate(in: directory)
        // Parameters stored before a name became reserved are left out, never applied.
        var environment = try await store.parameters(of: name).filter { !Validation.isReservedParameterName($0.key) }
        environment["STEVEDORE_DEPLOYMENT"] = name
        environment["STEVEDORE_DATA"] = hostPath(root.data(name))
        environment["STEVEDORE_LOGS"] = hostPath(root.logs(name))
        environment["STEVEDORE_SHARED"] = hostPath(root.shared)
        return ComposeProject(name: Self.projectName(name), directory: directory, file: file, environment: environment)
    }
}
