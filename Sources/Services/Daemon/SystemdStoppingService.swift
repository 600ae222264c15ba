import Logging
import ServiceLifecycle

/// A member of the daemon's `ServiceGroup` that sends `STOPPING=1` as soon as a graceful
/// shutdown begins (SIGTERM/SIGINT, or the root giving up). Listed last, so the group
/// signals it first.
struct SystemdStoppingService: Service {
    let notifier: SystemdNotifier
    let logger: Logger

    func run() async throws {
        do {
            try await gracefulShutdown()
        } catch {
            return  // cancelled: the group is ending anyway
        }
        notifier.stopping()
        if notifier.isEnabled { logger.info("sent STOPPING=1 to systemd") }
    }
}
