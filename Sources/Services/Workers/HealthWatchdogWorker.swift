import Foundation
import Logging
import Supervision
import Synchronization

/// The `health-watchdog` child (the last child of the root): turns the tree's health into
/// systemd notifications (sd_notify(3), systemd.service(5) `WatchdogSec=`).
///
/// - On its first start — every earlier sibling has started by then: store open, HTTP bound,
///   the deployments subtree running — it sends `READY=1` with a first `STATUS=` line.
/// - With a systemd watchdog (`WATCHDOG_USEC`, honouring `WATCHDOG_PID`) it sends
///   `WATCHDOG=1` every `WATCHDOG_USEC/2`, but only while ``TreeHealth`` is not `unhealthy`:
///   a `stuck` or `failed` node, or a critical child without a fresh heartbeat, stops the
///   pings and systemd restarts the daemon when `WatchdogSec=` runs out. `degraded` (Docker
///   or a Git remote down) keeps them going: a restart would not fix it.
/// - `STATUS=` is re-sent when the summary line changes, at most once a second; the tree is
///   looked at every ``statusInterval`` (5 s) and before each ping.
/// - Its own liveness deadline is a third of `WatchdogSec=` and its backoff at most 1 s, so a
///   hang of the watchdog itself is repaired before systemd's timeout.
///
/// Without systemd (container mode) it notifies nothing, and exits the process (status 1)
/// when the tree stays unhealthy for `unhealthyExitAfter`, so the restart policy acts.
public enum HealthWatchdogWorker {
    /// The child's id.
    public static let id = "health-watchdog"

    /// The longest time between two looks at the tree under systemd (`STATUS=` follows the
    /// tree at most this late; pings are sent on time): 5 s.
    public static let statusInterval: Duration = .seconds(5)

    /// Remembers whether `READY=1` was sent, so a restarted watchdog does not send it again.
    public final class ReadyLatch: Sendable {
        private let sent = Atomic<Bool>(false)
        /// A latch not yet set.
        public init() {}
        /// `true` the first time only.
        func claim() -> Bool { !sent.exchange(true, ordering: .acquiringAndReleasing) }
        /// Whether `READY=1` was sent.
        public var isSet: Bool { sent.load(ordering: .acquiring) }
    }

    /// The child spec (permanent worker).
    ///
    /// - Parameters:
    ///   - status: the root's snapshot (``DaemonTree/status()``).
    ///   - timing: the daemon's worker timing; a critical child's heartbeat older than twice
    ///     its liveness deadline counts as unhealthy.
    ///   - unhealthyExitAfter: without systemd, how long the tree may stay unhealthy before the
    ///     process exits (status 1) so that a container restart policy restarts it; `nil`: never.
    public static func spec(
        status: @escaping @Sendable () async -> NodeStatus, notifier: SystemdNotifier, latch: ReadyLatch,
        timing: WorkerTiming, unhealthyExitAfter: Duration?, logger: Logger
    ) -> ChildSpec {
        let (livenessDeadline, heartbeatInterval) = (timing.livenessDeadline, timing.heartbeatInterval)
        let stale = livenessDeadline.seconds * 2
        let pingEvery = notifier.watchdogTimeout.map { $0 / 2 }
        // How often the tree is looked at (a snapshot of every node): each ping, and every 5 s
        // between them for `STATUS=`. It was every second: 60 snapshots a minute of a tree
        // that changes a few times a day.
        let tick = min(pingEvery ?? statusInterval, statusInterval, heartbeatInterval)
        // A hung watchdog stops the pings at once: its own deadline must leave the supervisor
        // time to restart it before systemd's timeout (a third of WatchdogSec). Its sleeps
        // between looks are vouched for (ChildContext.sleep), so the deadline counts from the
        // end of a sleep; at least four ticks (at most 2 s) all the same, for a loaded host.
        let ownLiveness = max(
            min(livenessDeadline, notifier.watchdogTimeout.map { $0 / 3 } ?? livenessDeadline), min(tick * 4, .seconds(2)))
        var spec = ChildSpec.worker(id, liveness: ownLiveness) { context in
            guard notifier.isEnabled else {
                try await withoutSystemd(
                    context: context, status: status, stale: stale, tick: min(heartbeatInterval, .seconds(5)),
                    exitAfter: unhealthyExitAfter, logger: logger)
                return
            }
            let clock = ContinuousClock()
            var lastStatus = ""
            var lastStatusAt: ContinuousClock.Instant?
            var lastPing: ContinuousClock.Instant?
            var withholding = false
            if latch.claim() {
                let line = TreeHealth.statusLine(await status(), staleHeartbeatSeconds: stale)
                notifier.ready(status: line)
                (lastStatus, lastStatusAt) = (line, clock.now)
                logger.info("sent READY=1 to systemd", metadata: ["status": "\(line)"])
            }
            while true {
                context.heartbeat()
                let tree = await status()
                let health = TreeHealth.assess(tree, staleHeartbeatSeconds: stale)
                let now = clock.now
                if let pingEvery {
                    if health.level == .unhealthy {
                        if !withholding {
                            let why = health.unhealthy.map { "\($0.path) \($0.state)" }.joined(separator: ", ")
                            logger.error(
                                "withholding systemd watchdog pings: the tree is unhealthy; systemd will restart the daemon",
                                metadata: ["unhealthy": "\(why)"])
                            context.setStatus("withholding WATCHDOG=1: \(why)")
                            withholding = true
                        }
                    } else {
                        if withholding {
                            logger.notice("tree healthy again; resuming systemd watchdog pings")
                            withholding = false
                        }
                        if lastPing.map({ now - $0 >= pingEvery }) ?? true {
                            notifier.watchdogPing()
                            lastPing = now
                        }
                        context.setStatus("WATCHDOG=1 every \(pingEvery.seconds) s")
                    }
                } else {
                    context.setStatus("no systemd watchdog configured (WatchdogSec= unset)")
                }
                let line = TreeHealth.statusLine(tree, staleHeartbeatSeconds: stale)
                if line != lastStatus, lastStatusAt.map({ now - $0 >= .seconds(1) }) ?? true {
                    notifier.status(line)
                    (lastStatus, lastStatusAt) = (line, now)
                }
                // The next look: a tick from now, or the next ping if it is due sooner.
                var wait = tick
                if let pingEvery, let lastPing, !withholding { wait = min(wait, max(.zero, lastPing + pingEvery - clock.now)) }
                try await context.sleep(for: wait, heartbeatEvery: tick)
            }
        }
        // Repeated hangs must not lengthen the repair past systemd's timeout: at most 1 s of
        // backoff (a supervisor-wide backoff doubles towards 30 s).
        spec.backoff = BackoffPolicy(initial: .milliseconds(500), maximum: .seconds(1))
        return spec
    }

    /// Container mode: no one to notify, but a tree that stays unhealthy (a stuck child) must
    /// still end the process, since a container restart policy acts on exits only (Docker
    /// does not restart a container for an unhealthy HEALTHCHECK).
    private static func withoutSystemd(
        context: ChildContext, status: @Sendable () async -> NodeStatus, stale: Double,
        tick: Duration, exitAfter: Duration?, logger: Logger
    ) async throws {
        guard let exitAfter else {
            context.setStatus("not under systemd; exit on a lasting unhealthy tree disabled")
            while true { try await context.sleep(for: .seconds(3600), heartbeatEvery: tick) }
        }
        context.setStatus("not under systemd: exits if the tree stays unhealthy for \(exitAfter.seconds) s")
        let clock = ContinuousClock()
        var unhealthySince: ContinuousClock.Instant?
        while true {
            context.heartbeat()
            let health = TreeHealth.assess(await status(), staleHeartbeatSeconds: stale)
            if health.level == .unhealthy {
                let since = unhealthySince ?? clock.now
                unhealthySince = since
                if clock.now - since >= exitAfter {
                    let why = health.unhealthy.map { "\($0.path) \($0.state)" }.joined(separator: ", ")
                    logger.critical(
                        "the tree has been unhealthy for \(exitAfter.seconds) s; exiting so that the restart policy restarts the daemon",
                        metadata: ["unhealthy": "\(why)"])
                    exit(1)
                }
            } else {
                unhealthySince = nil
            }
            try await Task.sleep(for: tick)
        }
    }
}
