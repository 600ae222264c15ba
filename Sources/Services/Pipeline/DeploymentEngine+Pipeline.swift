import Docker
import Foundation
import Store

/// The deploy pipeline of one deployment (issue 6): fetch the newest commit, refuse what
/// must not run, `compose up`, wait for the health gate, and roll back to the previous
/// healthy commit when the new one fails. Runs one job of ``PipelineQueue`` at a time under
/// the deployment's lock; every run that does something is recorded in the history.
extension DeploymentEngine {
    /// Runs one pipeline job (called by the `pipeline` child of the deployment's subtree).
    ///
    /// - Returns: what the run did; failures of the deployment (build, start, health) are
    ///   outcomes, not errors.
    /// - Throws: ``ServiceError/unknownDeployment(_:)``, store errors, `CancellationError`.
    public func execute(_ name: String, _ job: PipelineQueue.Job) async throws -> RunResult {
        _ = try await deployment(name)
        return try await locks.withLock(name) { try await self.executeLocked(name, job) }
    }

    private func executeLocked(_ name: String, _ job: PipelineQueue.Job) async throws -> RunResult {
        var record = try await deployment(name)
        let triggers = job.triggerSummary
        let before = try await store.status(of: name)
        let previous = before.deployedCommit
        if !record.enabled && !job.explicit {
            return RunResult(
                deployment: name, runId: nil, outcome: RunOutcome.skipped, commit: nil, runningCommit: previous,
                reason: "paused by `deploy down`; `stevedore deploy up \(name)` resumes it", triggers: triggers)
        }
        // Without the engine nothing can be deployed or judged: not a run (nothing recorded);
        // the poller and the reconciler ask again, and the first request after the engine is
        // back runs.
        do {
            _ = try await docker.ping()
        } catch let error as DockerError {
            return RunResult(
                deployment: name, runId: nil, outcome: RunOutcome.skipped, commit: nil, runningCommit: previous,
                reason: "the Docker engine does not answer (\(error)); the run starts again once it does", triggers: triggers)
        }
        let runId = try await store.startRun(name, triggers: triggers, previousCommit: previous)
        var run = Run(engine: self, name: name, id: runId, triggers: triggers, previous: previous)
        do {
            if !record.enabled {
                try await store.setEnabled(name, true)
                record.enabled = true
            }
            let needsContainers = job.explicit || job.triggers.contains("reconcile") || job.triggers.contains(RunRequest.interruptedTrigger)
            // 1. The newest commit of the branch.
            var target: String
            do {
                target = try await syncCheckout(record)
                try await store.recordSync(name, commit: target)
                try await store.recordCheck(name, remoteCommit: target)
            } catch let error where !(error is CancellationError) {
                guard needsContainers, before.syncedCommit != nil else {
                    return try await run.finish(RunOutcome.failed, target: nil, running: previous, reason: "fetch failed: \(error)")
                }
                target = try await preparedCheckout(record)
                run.notes.append("fetch failed, so the checkout as it was is deployed: \(error)")
            }
            // 2. A commit that failed before is not retried unless forced.
            if target == before.failedCommit && !job.force {
                let why =
                    "commit \(target.prefix(12)) failed before (see `stevedore history \(name)`); it is tried again when a newer commit arrives or with `stevedore deploy up \(name) --force`"
                guard needsContainers, let previous else {
                    if let previous { try await checkOut(record, previous) }
                    return try await run.finish(RunOutcome.skipped, target: target, running: previous, reason: why)
                }
                run.notes.append(why)
                try await checkOut(record, previous)
                target = previous
            }
            // 3. Nothing new: a poll or webhook leaves the running commit alone.
            if target == previous && !needsContainers {
                return try await run.finish(RunOutcome.unchanged, target: target, running: previous, reason: nil)
            }
            return try await rollout(record, target: target, run: run)
        } catch is CancellationError {
            try? await store.finishRun(
                runId, targetCommit: nil, outcome: RunOutcome.interrupted,
                reason: "the run was cancelled (shutdown or pipeline restart); it runs again")
            throw CancellationError()
        } catch {
            _ = try? await run.finish(RunOutcome.failed, target: nil, running: previous, reason: "\(error)")
            throw error
        }
    }

    /// Refusal checks, `compose up`, health gate; rollback on failure.
    private func rollout(_ record: DeploymentRecord, target: String, run: Run) async throws -> RunResult {
        let name = record.name
        let previous = run.previous
        // Refusals: nothing has been started yet, the running containers are untouched.
        let project: ComposeProject
        let settings: StevedoreSettings
        do {
            project = try await composeProject(name)
            settings = try StevedoreSettings.read(composeFile: project.file)
            try await refuseUnsafe(project)
        } catch let error where !(error is CancellationError) {
            if target != previous { try await store.setFailedCommit(name, target) }
            if let previous, previous != target { try await checkOut(record, previous) }
            return try await run.finish(RunOutcome.refused, target: target, running: previous, reason: "\(error)")
        }
        let gate = healthGate(timeout: settings.healthCheckTimeout)
        var failure: String
        do {
            try await removeRecreateLeftovers(name)
            try await compose.up(project)
            switch try await gate.wait(project: project.name, timeout: settings.healthCheckTimeout) {
            case .healthy:
                try await store.recordDeploy(name, commit: target)
                // A new commit that works ends the wait for one; bringing the running commit up
                // again (an unforced `deploy up`, a reconcile) does not make the failed one retryable.
                if target != previous { try await store.setFailedCommit(name, nil) }
                return try await run.finish(RunOutcome.succeeded, target: target, running: target, reason: nil)
            case .unhealthy(let services, let reason):
                // The reason names the services itself when it starts with one of them.
                let named = services.contains { reason.hasPrefix($0 + " ") }
                failure = named ? "health gate failed: \(reason)" : "unhealthy: \(services.joined(separator: ", ")): \(reason)"
            case .engineUnavailable(let why):
                return try await engineOutage(run, target: target, why: why)
            }
        } catch let error where !(error is CancellationError) {
            if let why = await engineWentAway(error) {
                return try await engineOutage(run, target: target, why: "compose up failed as the Docker engine went away (\(why))")
            }
            failure = "compose up failed: \(error)"
        }
        // Roll back to the previous healthy commit, from its own checkout.
        guard let previous, previous != target else {
            if previous == nil {
                try await store.setFailedCommit(name, target)
                return try await run.finish(
                    RunOutcome.failed, target: target, running: nil,
                    reason: "\(failure); no earlier healthy commit to roll back to")
            }
            // The same commit again (parameters or the host changed): nothing older to go back to.
            return try await run.finish(
                RunOutcome.failed, target: target, running: target,
                reason:
                    "\(failure); it is the running commit, so there is nothing to roll back to (did a parameter change?); its containers run as `compose up` left them"
            )
        }
        try await store.setFailedCommit(name, target)
        logger.warning(
            "rolling back", metadata: ["deployment": "\(name)", "failed": "\(target)", "to": "\(previous)", "reason": "\(failure)"])
        do {
            try await checkOut(record, previous)
            let restored = try await composeProject(name)
            let timeout =
                (try? StevedoreSettings.read(composeFile: restored.file))?.healthCheckTimeout ?? StevedoreSettings.defaultHealthCheckTimeout
            try await removeRecreateLeftovers(name)
            try await compose.up(restored)
            switch try await healthGate(timeout: timeout).wait(project: restored.name, timeout: timeout) {
            case .healthy:
                return try await run.finish(
                    RunOutcome.rolledBack, target: target, running: previous,
                    reason: "\(failure); rolled back to \(previous.prefix(12))")
            case .unhealthy(_, let reason):
                return try await run.finish(
                    RunOutcome.failed, target: target, running: previous,
                    reason: "\(failure); the rollback to \(previous.prefix(12)) is not healthy either: \(reason)")
            case .engineUnavailable(let why):
                return try await run.finish(
                    RunOutcome.failed, target: target, running: previous,
                    reason: "\(failure); the rollback to \(previous.prefix(12)) was cut short: \(why)")
            }
        } catch let error where !(error is CancellationError) {
            return try await run.finish(
                RunOutcome.failed, target: target, running: nil,
                reason: "\(failure); the rollback to \(previous.prefix(12)) failed: \(error)")
        }
    }

    /// Removes what a `compose up` killed in the middle of a recreate left (an earlier
    /// daemon's, cut by a power cut or a SIGKILL): ``DockerEngine/removeRecreateLeftovers(project:)``.
    /// Runs under the deployment's lock, so no `compose up` of ours is going on.
    ///
    /// - Throws: ``DockerError``.
    func removeRecreateLeftovers(_ name: String) async throws {
        let removed = try await docker.removeRecreateLeftovers(project: Self.projectName(name))
        if !removed.isEmpty {
            logger.notice(
                "removed containers an interrupted compose up left", metadata: ["deployment": "\(name)", "containers": "\(removed)"])
        }
    }

    /// Ends a run the Docker engine cut short: `interrupted`, no rollback, the commit not
    /// marked failed (it is deployed again once the engine answers: the poller and the
    /// reconciler ask for a run, and a run waits for the engine, see ``execute(_:_:)``).
    private func engineOutage(_ run: Run, target: String, why: String) async throws -> RunResult {
        logger.warning("deploy interrupted by the Docker engine", metadata: ["deployment": "\(run.name)", "reason": "\(why)"])
        return try await run.finish(
            RunOutcome.interrupted, target: target, running: run.previous,
            reason:
                "\(why); nothing was rolled back and \(target.prefix(12)) is not marked failed: it is deployed again once the engine answers"
        )
    }

    /// Whether a failed `compose up` was the engine going away rather than the commit: the
    /// engine does not answer now, or Compose's output says the connection to it was lost
    /// (it may already be back after a quick restart). The text says which; `nil` when the
    /// engine is fine.
    func engineWentAway(_ error: any Error) async -> String? {
        do {
            _ = try await docker.ping()
        } catch {
            return String(describing: error)
        }
        let text = String(describing: error)
        let signs = [
            "Cannot connect to the Docker daemon", "error during connect", "connection reset by peer", "unexpected EOF",
            "broken pipe", "Is the docker daemon running", "docker.sock: connect",
        ]
        return signs.first { text.contains($0) }.map { "Compose lost the engine: \($0)" }
    }

    /// Refuses a configuration Stevedore must not run: services without `init: true` (no
    /// zombie reaping) unless labelled `stevedore.init.enforce=false`. The check reads
    /// `compose config` with the same environment as `up` (parameters, `STEVEDORE_*`).
    ///
    /// - Throws: ``ServiceError/refused(_:)``, `ProcessError` of `compose config` (e.g. a
    ///   required variable without a value).
    func refuseUnsafe(_ project: ComposeProject) async throws {
        let text: String
        do {
            text = try await compose.config(project)
        } catch let error as ProcessError {
            throw ServiceError.refused("`compose config` failed: \(error)")
        }
        let missing = try ComposeConfig.parse(text).servicesWithoutInit
        guard missing.isEmpty else {
            throw ServiceError.refused(
                "services without `init: true` (needed to reap zombie processes): \(missing.joined(separator: ", ")); add `init: true` to them, or the label `\(ComposeConfig.initEnforceLabel)=false` to opt out"
            )
        }
    }

    /// The health gate for a rollout limited to `timeout`: a container without a healthcheck
    /// must keep one start time for a third of it (1 to 10 s), so a service that crashes and
    /// is restarted every few seconds does not pass.
    func healthGate(timeout: Duration) -> RolloutHealthGate {
        var gate = RolloutHealthGate(docker: docker)
        gate.stableFor = min(.seconds(10), max(.seconds(1), timeout / 3))
        return gate
    }

    /// Restores the checkout to `commit` (no network) and records it as synced.
    func checkOut(_ record: DeploymentRecord, _ commit: String) async throws {
        let repo = root.repo(record.name)
        guard git.localHead(directory: repo) != commit || FileManager.default.fileExists(atPath: root.syncMarker(record.name)) else {
            try await store.recordSync(record.name, commit: commit)
            return
        }
        _ = try await git.restore(commit: commit, directory: repo, clean: record.clean, access: try await access(record))
        try? AtomicFile.remove(root.syncMarker(record.name))
        try await store.recordSync(record.name, commit: commit)
    }

    /// One run's history row and how it ends.
    struct Run {
        let engine: DeploymentEngine
        let name: String
        let id: Int64
        let triggers: String
        let previous: String?
        var notes: [String] = []

        /// Closes the history row, records the event and the error (for anything but a
        /// success), and builds the result.
        func finish(_ outcome: String, target: String?, running: String?, reason: String?) async throws -> RunResult {
            engine.expectedServices.withLock { _ = $0.removeValue(forKey: name) }
            let text = (notes + [reason].compactMap { $0 }).joined(separator: "; ")
            let why = text.isEmpty ? nil : text
            try await engine.store.finishRun(id, targetCommit: target, outcome: outcome, reason: why)
            let commit = target.map { String($0.prefix(12)) } ?? "?"
            try? await engine.store.recordEvent(
                deployment: name, kind: "deploy", message: "\(outcome) \(commit) (\(triggers))" + (why.map { ": \($0.prefix(300))" } ?? ""))
            switch outcome {
            case RunOutcome.succeeded, RunOutcome.unchanged:
                engine.logger.info(
                    "deploy run",
                    metadata: ["deployment": "\(name)", "outcome": "\(outcome)", "commit": "\(commit)", "triggers": "\(triggers)"])
            default:
                try? await engine.store.recordError(name, "deploy \(commit) \(outcome): \(why ?? "")")
                engine.logger.warning(
                    "deploy run",
                    metadata: [
                        "deployment": "\(name)", "outcome": "\(outcome)", "commit": "\(commit)",
                        "triggers": "\(triggers)", "reason": "\(why ?? "")",
                    ])
            }
            return RunResult(
                deployment: name, runId: id, outcome: outcome, commit: target, runningCommit: running, reason: why, triggers: triggers)
        }
    }
}
