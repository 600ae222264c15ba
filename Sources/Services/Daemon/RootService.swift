import ServiceLifecycle
import Supervision

/// Runs the root supervisor as the daemon's main `Service`. When the root gives up (restart
/// intensity exceeded, or a child failed to start) it sends `WATCHDOG=trigger` at once — if
/// a systemd watchdog is configured — before the group's graceful stop, then rethrows so the
/// process exits non-zero (systemd's `Restart=on-failure` acts either way).
struct RootService: Service {
    let root: Supervisor
    let notifier: SystemdNotifier

    func run() async throws {
        do {
            try await root.run()
        } catch {
            notifier.watchdogTrigger()
            throw error
        }
    }
}
