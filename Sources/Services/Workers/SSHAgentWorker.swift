import Logging
import Store
import Supervision

/// The `ssh-agent` child: serves every deployment's agent socket (``SSHAgents``) from the
/// keys in the encrypted store, and re-reads the store every 30 s (5 s while a socket failed) so sockets follow
/// `repo add`/`repo remove` even if a direct notification was missed. When it stops (or is
/// restarted) every socket closes and every key leaves its memory; the next start serves them
/// again. It runs in-process: its work is a few hundred bytes per request on SwiftNIO's event
/// loops, and a fault in it (a thrown error, a hang) is repaired by its supervisor like any
/// other worker's.
public enum SSHAgentWorker {
    /// The child's id.
    public static let id = "ssh-agent"
    /// Time between re-reads of the deploy keys while every socket is served: 30 s.
    public static let recheckInterval: Duration = .seconds(30)
    /// Time between re-reads while a socket could not be served: 5 s.
    public static let retryInterval: Duration = .seconds(5)

    /// The child spec (permanent worker).
    public static func spec(agents: SSHAgents, store: StateStore, timing: WorkerTiming = WorkerTiming(), logger: Logger) -> ChildSpec {
        .worker(id, liveness: timing.livenessDeadline) { context in
            do {
                var reported = ""
                while !Task.isCancelled {
                    let records: [DeployKeyRecord]
                    do {
                        records = try await store.deployKeys()
                    } catch let error as StoreError where error.isStorageFault {
                        // A full or read-only state disk (its reads can fail too, while a hot
                        // journal cannot be rolled back) is no reason to close the sockets or
                        // to restart: the keys already loaded are served on.
                        context.setDegraded("cannot read the deploy keys; serving the \(await agents.served.count) loaded: \(error)")
                        context.heartbeat()
                        try await Task.sleep(for: min(.seconds(5), timing.heartbeatInterval))
                        continue
                    }
                    let failures = await agents.reconcile(with: records)
                    for (name, error) in failures {
                        logger.error("cannot serve the agent socket", metadata: ["deployment": "\(name)", "error": "\(error)"])
                    }
                    context.setDegraded(
                        failures.isEmpty ? nil : "cannot serve: " + failures.map { "\($0.0) (\($0.1))" }.joined(separator: "; "))
                    let status = "\(await agents.served.count) socket(s) in \(agents.directory)"
                    if status != reported {
                        context.setStatus(status)
                        reported = status
                    }
                    // `repo add` and `repo remove` act on the sockets directly: the re-read is
                    // the safety net, every 30 s; a socket that failed is retried every 5 s.
                    try await context.sleep(
                        for: failures.isEmpty ? recheckInterval : retryInterval, heartbeatEvery: timing.heartbeatInterval)
                }
            } catch {
                await agents.stopAll()
                throw error
            }
            await agents.stopAll()
        }
    }
}
