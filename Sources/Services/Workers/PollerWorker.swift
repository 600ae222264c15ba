import Logging
import Supervision

/// The `deployments/<name>/poller` child: checks the remote branch every poll interval and,
/// on a new commit, asks the deployment's pipeline for a run (``DeploymentEngine/poll(_:)``);
/// it does not wait for the run, so a slow deploy never holds up the next check.
///
/// Failures of the remote, Git or Compose are *degraded*, not failures: the poller reports
/// the reason, retries after a backoff (5 s doubling up to the poll interval) and keeps
/// running. It ends normally when its deployment is removed.
public enum PollerWorker {
    /// The child spec (permanent worker).
    public static func spec(deployment name: String, engine: DeploymentEngine, timing: WorkerTiming = WorkerTiming(), logger: Logger)
        -> ChildSpec
    {
        .worker("poller", liveness: timing.livenessDeadline) { context in
            var failures = 0
            while !Task.isCancelled {
                context.heartbeat()
                var interval = 300
                do {
                    let record = try await engine.deployment(name)
                    interval = record.pollIntervalSeconds
                    switch try await context.heartbeating(every: timing.heartbeatInterval, { try await engine.poll(name) }) {
                    case .disabled: context.setStatus("paused (deploy down)")
                    case .upToDate(let commit): context.setStatus("up to date at \(commit.prefix(12))")
                    case .failedBefore(let commit):
                        context.setStatus(
                            "remote at \(commit.prefix(12)), which failed before: waiting for a newer commit or `deploy up --force`")
                    case .busy: context.setStatus("a deploy is running or queued")
                    case .triggered(let commit): context.setStatus("new commit \(commit.prefix(12)): deploy requested")
                    }
                    context.setDegraded(nil)
                    failures = 0
                } catch ServiceError.unknownDeployment {
                    return  // removed: a normal end
                } catch is CancellationError {
                    throw CancellationError()
                } catch {
                    failures += 1
                    context.setDegraded(String(describing: error).prefix(500).description)
                    logger.warning("poll failed", metadata: ["deployment": "\(name)", "error": "\(error)"])
                }
                context.heartbeat()
                let wait = failures == 0 ? interval : min(interval, 5 << min(failures - 1, 10))
                if failures > 0 { context.setStatus("next try in \(wait) s (failure \(failures) in a row)") }
                try await context.sleep(for: .seconds(wait), heartbeatEvery: timing.heartbeatInterval)
            }
        }
    }
}
