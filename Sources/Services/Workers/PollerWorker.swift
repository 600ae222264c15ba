import Docker
import Logging
import Supervision

/// The `deployments/<name>/poller` child: checks the remote branch every poll interval and,
/// on a new commit, asks the deployment's pipeline for a run (``DeploymentEngine/poll(_:)``);
/// it does not wait for the run, so a slow deploy never holds up the next check.
///
/// Failures of the remote, Git or Compose are *degraded*, not failures: the poller reports
/// the reason, keeps running and retries after a backoff (``retryDelay(failures:interval:maximum:)``:
/// 5 s doubling; for a failure of Git, such as a remote that cannot be reached, up to the
/// larger of the poll interval and `STEVEDORE_POLL_BACKOFF_MAX`, default 5 min; for anything
/// else, such as a full state disk, up to the poll interval, so that the first poll after
/// the repair is not far off), shown in its status as `next try in N s (failure K in a row …)`;
/// the first check that works clears both. It ends normally when its deployment is removed.
public enum PollerWorker {
    /// Default of the longest wait between failed checks (`STEVEDORE_POLL_BACKOFF_MAX`): 300 s.
    public static let defaultBackoffMaxSeconds = 300

    /// Seconds to wait after `failures` consecutive failed checks (0: the poll interval):
    /// 5, 10, 20 … seconds, at most the larger of `interval` and `maximum` (a remote that is
    /// down is asked less and less often, but never less often than a working one).
    public static func retryDelay(failures: Int, interval: Int, maximum: Int) -> Int {
        guard failures > 0 else { return interval }
        return min(max(interval, maximum), 5 << min(failures - 1, 20))
    }

    /// The child spec (permanent worker).
    ///
    /// - Parameter backoffMaxSeconds: the longest wait between failed checks when it is longer
    ///   than the poll interval.
    public static func spec(
        deployment name: String, engine: DeploymentEngine, backoffMaxSeconds: Int = defaultBackoffMaxSeconds,
        timing: WorkerTiming = WorkerTiming(), logger: Logger
    )
        -> ChildSpec
    {
        .worker("poller", liveness: timing.livenessDeadline) { context in
            var failures = 0
            var remoteFailed = false
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
                    if failures > 0 {
                        logger.notice("poll works again", metadata: ["deployment": "\(name)", "after_failures": "\(failures)"])
                    }
                    context.setDegraded(nil)
                    failures = 0
                } catch ServiceError.unknownDeployment {
                    return  // removed: a normal end
                } catch is CancellationError {
                    throw CancellationError()
                } catch {
                    failures += 1
                    remoteFailed = error is GitError
                    context.setDegraded(String(describing: error).prefix(500).description)
                    logger.warning("poll failed", metadata: ["deployment": "\(name)", "failures": "\(failures)", "error": "\(error)"])
                }
                context.heartbeat()
                let cap = remoteFailed ? backoffMaxSeconds : interval
                let wait = retryDelay(failures: failures, interval: interval, maximum: cap)
                if failures > 0 {
                    context.setStatus("next try in \(wait) s (failure \(failures) in a row; waits double up to \(max(interval, cap)) s)")
                }
                try await context.sleep(for: .seconds(wait), heartbeatEvery: timing.heartbeatInterval)
            }
        }
    }
}
