import Logging
import ServiceLifecycle

/// A member of the daemon's `ServiceGroup` that, as soon as a graceful shutdown begins
/// (SIGTERM/SIGINT), answers everyone waiting for a deploy run (``PipelineQueue/shutDown(_:)``):
/// a CLI blocked in `deploy up` during a long build is told the run was interrupted and will
/// run again, instead of seeing its connection closed, and the `http` child has no request
/// left in flight that would keep it from stopping (which made it `stuck`). Listed after the
/// root service, so the group signals it before the tree stops.
struct PipelineShutdownService: Service {
    let pipelines: PipelineQueue
    let logger: Logger

    func run() async throws {
        do {
            try await gracefulShutdown()
        } catch {
            return  // cancelled: the group is ending anyway
        }
        await pipelines.shutDown()
        logger.info("shutting down: waiting deploy requests answered as interrupted")
    }
}
