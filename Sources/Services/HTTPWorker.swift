import Hummingbird
import Logging
import ServiceLifecycle
import Supervision

/// The `http` child: serves the admin API (``AdminAPI``) on the configured address. A bind
/// failure throws, so the supervisor retries with backoff.
public enum HTTPWorker {
    /// The child spec (permanent worker).
    public static func spec(api: AdminAPI, host: String, port: Int, logger: Logger) -> ChildSpec {
        .worker("http", gracefulStop: true) { context in
            let app = Application(
                router: api.router(),
                configuration: .init(address: .hostname(host, port: port), serverName: "stevedore"),
                onServerRunning: { _ in context.setStatus("listening on \(host):\(port)") },
                logger: logger)
            context.heartbeat()
            // The supervisor's stop request becomes a graceful shutdown of the server, so
            // in-flight requests finish (cancellation comes only after the timeout).
            let group = ServiceGroup(configuration: .init(services: [app], logger: logger))
            context.onShutdownRequest { Task { await group.triggerGracefulShutdown() } }
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask { try await group.run() }
                tasks.addTask {
                    // The server has no loop of its own to beat from.
                    while true {
                        context.heartbeat()
                        try await Task.sleep(for: .seconds(10))
                    }
                }
                try await tasks.next()
                tasks.cancelAll()
            }
        }
    }
}
