import Logging
import ServiceLifecycle
import Supervision

/// The `http` child: serves the admin API (``AdminAPI``, through ``AdminServer``) on the configured address. A bind
/// failure throws, so the supervisor retries with backoff. Its start completes (READY) only
/// once the server is bound, so the daemon's `READY=1` means the API answers.
public enum HTTPWorker {
    /// The child spec (permanent worker).
    public static func spec(api: AdminAPI, host: String, port: Int, timing: WorkerTiming = WorkerTiming(), logger: Logger) -> ChildSpec {
        .worker("http", readiness: .explicit(timeout: .seconds(30)), liveness: timing.livenessDeadline, gracefulStop: true) { context in
            let app = AdminServer(
                router: api.router(), host: host, port: port,
                onServerRunning: { _ in
                    context.setStatus("listening on \(host):\(port)")
                    context.ready()
                },
                logger: logger)
            context.heartbeat()
            // The supervisor's stop request becomes a graceful shutdown of the server, so
            // in-flight requests finish (cancellation comes only after the timeout).
            let group = ServiceGroup(configuration: .init(services: [app], logger: logger))
            context.onShutdownRequest { Task { await group.triggerGracefulShutdown() } }
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask { try await group.run() }
                tasks.addTask {
                    // The server has no loop of its own to beat from: it serves on NIO's event
                    // loop and is vouched for as idle (no wake-ups; a failed server ends `run`).
                    while true { try await context.sleep(for: .seconds(3600), heartbeatEvery: timing.heartbeatInterval) }
                }
                try await tasks.next()
                tasks.cancelAll()
            }
        }
    }
}
