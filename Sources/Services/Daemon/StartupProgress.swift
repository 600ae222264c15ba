import Logging
import Synchronization

/// Keeps systemd from timing out a start-up that runs long (sd_notify(3)
/// `EXTEND_TIMEOUT_USEC=`): while start-up has not finished, every 10 s it asks for 30 s
/// more and logs that start-up is still running; after 10 minutes it stops asking, so a
/// start-up that hangs still ends at `TimeoutStartSec=` (counted from the last extension).
final class StartupProgress: Sendable {
    /// Seconds between extensions.
    static let interval = 10
    /// Seconds each extension asks for.
    static let extensionSeconds = 30
    /// Extensions stop after this many seconds of start-up.
    static let maximumSeconds = 600

    private let notifier: SystemdNotifier
    private let logger: Logger
    private let task = Mutex<Task<Void, Never>?>(nil)
    private let done = Mutex<@Sendable () -> Bool>({ false })

    init(notifier: SystemdNotifier, logger: Logger) {
        self.notifier = notifier
        self.logger = logger
        guard notifier.isEnabled else { return }
        let started = ContinuousClock.now
        let t = Task { [notifier, logger, self] in
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(Self.interval))
                if Task.isCancelled || self.done.withLock({ $0 })() { return }
                let elapsed = ContinuousClock.now - started
                guard elapsed < .seconds(Self.maximumSeconds) else { return }
                notifier.extendTimeout(seconds: Self.extensionSeconds)
                logger.notice(
                    "start-up still running; asked systemd for \(Self.extensionSeconds) s more",
                    metadata: ["elapsed_s": "\(Int(elapsed.components.seconds))"])
            }
        }
        task.withLock { $0 = t }
    }

    /// From now on, start-up counts as finished once `ready` returns `true`.
    func watch(until ready: @escaping @Sendable () -> Bool) {
        done.withLock { $0 = ready }
    }

    /// Stops extending (the daemon is ending or start-up is over).
    func finish() {
        task.withLock { $0?.cancel() }
    }
}
