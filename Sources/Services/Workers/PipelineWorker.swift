import Logging
import Supervision

/// The `deployments/<name>/pipeline` child: takes the deployment's pipeline jobs from
/// ``PipelineQueue`` one at a time and runs them (``DeploymentEngine/execute(_:_:)``), so a
/// sync and deploy of one deployment never run concurrently while other deployments proceed.
///
/// A run that is cancelled (supervisor restart of this child, shutdown) is put back in the
/// queue and runs again in the next incarnation; its waiters keep waiting. It ends normally
/// when the deployment is removed.
public enum PipelineWorker {
    /// The child's id in the deployment's subtree.
    public static let id = "pipeline"

    /// The child spec (permanent worker).
    ///
    /// - Parameter afterRun: called after every run that reached Compose or the checkout
    ///   (e.g. the log streamer reads `x-stevedore.logs` of the new commit).
    public static func spec(
        deployment name: String, engine: DeploymentEngine, timing: WorkerTiming = WorkerTiming(),
        afterRun: @escaping @Sendable () async -> Void = {}, logger: Logger
    ) -> ChildSpec {
        .worker(id, liveness: timing.livenessDeadline) { context in
            while !Task.isCancelled {
                context.heartbeat()
                context.setStatus(await lastRunStatus(name, engine: engine))
                // Waiting for a job is idle, not hung: vouch for it.
                let job = try await context.heartbeating(every: timing.heartbeatInterval) { try await engine.pipelines.next(name) }
                context.setStatus("running (\(job.triggerSummary))")
                do {
                    let result = try await context.heartbeating(every: timing.heartbeatInterval) { try await engine.execute(name, job) }
                    await engine.pipelines.finish(name, .success(result))
                    await afterRun()
                } catch is CancellationError {
                    await engine.pipelines.requeue(name)
                    throw CancellationError()
                } catch ServiceError.unknownDeployment(let gone) {
                    await engine.pipelines.finish(name, .failure(ServiceError.unknownDeployment(gone)))
                    return
                } catch {
                    // Not a deployment failure (those are outcomes) but the store or the like:
                    // the waiters learn it, the next job runs.
                    logger.error("pipeline run failed", metadata: ["deployment": "\(name)", "error": "\(error)"])
                    await engine.pipelines.finish(name, .failure(error))
                }
            }
        }
    }

    private static func lastRunStatus(_ name: String, engine: DeploymentEngine) async -> String {
        guard let last = try? await engine.store.runs(of: name, limit: 1).first, let outcome = last.outcome else { return "idle" }
        return "idle; last run \(outcome)" + (last.targetCommit.map { " at \($0.prefix(12))" } ?? "")
    }
}
