import CSystemd

/// The sending side of systemd's notification protocol, through libsystemd (sd_notify(3),
/// sd_watchdog_enabled(3); unit settings in systemd.service(5): `Type=notify`,
/// `NotifyAccess=main`, `WatchdogSec=`).
///
/// Without systemd (`NOTIFY_SOCKET` unset or empty) every method returns at once without a
/// system call, so running outside systemd costs nothing.
///
/// The daemon's own environment keeps `NOTIFY_SOCKET` (libsystemd reads it on every call);
/// child processes never see it: `ProcessRunner` and process-isolated children scrub
/// `NOTIFY_SOCKET` and `WATCHDOG_*` from their environment.
public struct SystemdNotifier: Sendable {
    /// Whether a notification socket is configured (`NOTIFY_SOCKET` set and not empty).
    public let isEnabled: Bool
    /// The watchdog timeout systemd expects pings within (`WATCHDOG_USEC`), or `nil` when no
    /// watchdog is configured for this process. `WATCHDOG_PID`, when set, must be our pid
    /// (sd_watchdog_enabled(3) checks it).
    public let watchdogTimeout: Duration?

    /// A notifier that never sends (tests, `stevedore` commands other than `daemon`).
    public static let disabled = SystemdNotifier(isEnabled: false, watchdogTimeout: nil)

    private init(isEnabled: Bool, watchdogTimeout: Duration?) {
        self.isEnabled = isEnabled
        self.watchdogTimeout = watchdogTimeout
    }

    /// Reads `NOTIFY_SOCKET`, `WATCHDOG_USEC` and `WATCHDOG_PID` of this process.
    ///
    /// - Parameter environment: the process environment (only `NOTIFY_SOCKET` is looked up
    ///   here; libsystemd reads the process's real environment for the rest).
    public init(environment: [String: String]) {
        let socket = environment["NOTIFY_SOCKET"] ?? ""
        isEnabled = !socket.isEmpty
        var usec: UInt64 = 0
        // 0: keep the variables; children are scrubbed explicitly instead.
        if sd_watchdog_enabled(0, &usec) > 0, usec > 0 {
            watchdogTimeout = .microseconds(Int64(clamping: usec))
        } else {
            watchdogTimeout = nil
        }
    }

    /// Sends newline-separated `KEY=VALUE` assignments (sd_notify(3)); silently does nothing
    /// without systemd. Errors of the socket are ignored, as sd_notify(3) recommends.
    public func send(_ assignments: String) {
        guard isEnabled else { return }
        _ = sd_notify(0, assignments)
    }

    /// `READY=1` plus a first `STATUS=` line: start-up is complete (`systemctl start` returns).
    public func ready(status: String) {
        send("READY=1\nSTATUS=\(Self.oneLine(status))")
    }

    /// `STATUS=`: one human-readable line shown by `systemctl status`.
    public func status(_ line: String) {
        send("STATUS=\(Self.oneLine(line))")
    }

    /// `STOPPING=1`: a graceful stop has begun (on SIGTERM/SIGINT or when giving up).
    public func stopping() {
        send("STOPPING=1")
    }

    /// `WATCHDOG=1`: the keep-alive ping; only when a watchdog is configured for us.
    public func watchdogPing() {
        guard watchdogTimeout != nil else { return }
        send("WATCHDOG=1")
    }

    /// `WATCHDOG=trigger`: asks systemd to act as if the watchdog timed out (the root
    /// supervisor gave up). Only when a watchdog is configured.
    public func watchdogTrigger() {
        guard watchdogTimeout != nil else { return }
        send("WATCHDOG=trigger")
    }

    /// `EXTEND_TIMEOUT_USEC=`: start-up (or stop) work runs longer; systemd waits `seconds`
    /// more from now before applying `TimeoutStartSec=`.
    public func extendTimeout(seconds: Int) {
        send("EXTEND_TIMEOUT_USEC=\(UInt64(max(seconds, 1)) * 1_000_000)")
    }

    /// Status text must be one line: newlines would start new assignments.
    static func oneLine(_ text: String) -> String {
        String(text.map { $0.isNewline ? " " : $0 }.prefix(400))
    }
}
