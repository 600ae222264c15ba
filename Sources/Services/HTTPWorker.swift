import Hummingbird
import Logging
import ServiceLifecycle
import Supervision

/// The `http` child: serves the admin API (``AdminAPI``) on the configured address. A bind
/// failure throws, so the supervisor retries with backoff.
public enum HTTPWorker {
    /// The child spec (permanent worker).
    public static func spec(api: AdminAPI, host: String, port: Int, logger: Logger) -> ChildSpec {
        .worker("http") { context in
            let app = Application(
                router: api.router(),
                configuration: .init(address: .hostname(host, port: port), serverName: "stevedore"),
                onServerRunning: { _ in context.setStatus("listening on \(host):\(port)") },
                logger: logger)
            context.heartbeat()
            // Cancellation by the supervisor becomes a graceful shutdown of the server, so
            // in-flight requests finish instead of being cut.
            let group = ServiceGroup(configuration: .init(services: [app], logger: logger))
            try await withTaskCancellationHandler {
                try await group.run()
            } onCancel: {
                Task { await group.triggerGracefulShutdown() }
            }
        }
    }
}
