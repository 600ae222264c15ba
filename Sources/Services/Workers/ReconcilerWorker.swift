import Logging
import Supervision

/// The `deployments/<name>/reconciler` child: every reconcile interval, brings an enabled,
/// once-deployed deployment whose containers are gone or stopped back up
/// (``DeploymentEngine/reconcile(_:)``; with no containers at all, a `reconcile` run of the
/// pipeline, ``DeploymentEngine/redeploy(_:)``).
///
/// After a failed attempt it backs off (interval × 2^failures, at most 5 minutes) instead of
/// hammering; after 3 consecutive failures it reports `degraded`. Containers it had to start
/// again count in an ``ExitLoopWindow``: 3 restarts within 10 minutes (a container that exits
/// by itself soon after every start) also report `degraded` and back off the same way.
public enum ReconcilerWorker {
    /// Consecutive failures after which the reconciler reports degraded.
    public static let degradedAfter = 3

    /// The child spec (permanent worker).
    public static func spec(
        deployment name: String, engine: DeploymentEngine, intervalSeconds: Int, timing: WorkerTiming = WorkerTiming(), logger: Logger
    ) -> ChildSpec {
        .worker("reconciler", liveness: timing.livenessDeadline) { context in
            var failures = 0
            var exits = ExitLoopWindow()
            let clock = ContinuousClock()
            let interval = Duration.seconds(intervalSeconds)
            while !Task.isCancelled {
                context.heartbeat()
                do {
                    switch try await context.heartbeating(every: timing.heartbeatInterval, { try await engine.reconcile(name) }) {
                    case .notApplicable: context.setStatus("idle (paused or never deployed)")
                    case .ok: context.setStatus("containers running")
                    case .restarted(let why):
                        exits.record(why, at: clock.now)
                        context.setStatus("restarted containers (\(why))")
                    case .needsDeploy(let why):
                        context.setStatus("\(why): redeploying")
                        let result = try await context.heartbeating(every: timing.heartbeatInterval, { try await engine.redeploy(name) })
                        context.setStatus("redeployed (\(result.outcome))")
                    }
                    failures = 0
                    exits.expire(now: clock.now)
                    let reason = exits.reason(nextPassIn: exits.delay(interval: interval))
                    if let reason { logger.warning("crash loop", metadata: ["deployment": "\(name)", "reason": "\(reason)"]) }
                    context.setDegraded(reason)
                } catch ServiceError.unknownDeployment {
                    return
                } catch is CancellationError {
                    throw CancellationError()
                } catch {
                    failures += 1
                    context.setStatus("attempt \(failures) failed: \(String(describing: error).prefix(200))")
                    if failures >= degradedAfter {
                        context.setDegraded("\(failures) reconcile attempts failed: \(String(describing: error).prefix(400))")
                    }
                    logger.warning("reconcile failed", metadata: ["deployment": "\(name)", "attempt": "\(failures)", "error": "\(error)"])
                }
                context.heartbeat()
                let wait = failures == 0 ? exits.delay(interval: interval) : .seconds(min(300, intervalSeconds << min(failures, 10)))
                try await context.sleep(for: wait, heartbeatEvery: timing.heartbeatInterval)
            }
        }
    }
}
