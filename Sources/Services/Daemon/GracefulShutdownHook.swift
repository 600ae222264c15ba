import ServiceLifecycle

/// A member of the daemon's `ServiceGroup` that runs `action` once, as soon as a graceful
/// shutdown begins (SIGTERM/SIGINT, or the root giving up), and then ends. The group signals
/// its members in reverse order, so a hook listed after the root service runs before the tree
/// stops. The daemon has two: `STOPPING=1` to systemd (sd_notify(3)), and
/// ``PipelineQueue/shutDown(_:)``, which answers everyone waiting for a deploy run (a CLI in
/// `deploy up` hears the run was interrupted instead of seeing its connection closed, and the
/// `http` child has no request left in flight that would keep it from stopping).
struct GracefulShutdownHook: Service {
    /// What to do when the shutdown begins.
    let action: @Sendable () async -> Void

    func run() async throws {
        do {
            try await gracefulShutdown()
        } catch {
            return  // cancelled: the group is ending anyway
        }
        await action()
    }
}
