import Dispatch
import Foundation
import Synchronization

/// One datagram of the sd_notify protocol: newline-separated `KEY=VALUE` assignments
/// (sd_notify(3)), e.g. `READY=1\nSTATUS=listening`.
public struct NotifyMessage: Sendable, Equatable {
    /// Assignments in the order sent. Lines without `=` are dropped, as systemd does.
    public var assignments: [(key: String, value: String)]

    /// Parses a datagram; invalid UTF-8 is replaced, empty lines are ignored. Lines end at
    /// each newline byte, as systemd splits them (not at Swift's `Character`s, where `\r\n`
    /// is one character and would join two assignments).
    public init(datagram: [UInt8]) {
        assignments = datagram.split(separator: 0x0A, omittingEmptySubsequences: true).compactMap { line in
            guard let eq = line.firstIndex(of: 0x3D) else { return nil }
            return (String(decoding: line[..<eq], as: UTF8.self), String(decoding: line[(eq + 1)...], as: UTF8.self))
        }
    }

    /// The last value of `key`, if sent.
    public subscript(key: String) -> String? { assignments.last { $0.key == key }?.value }

    /// `READY=1`: start-up finished.
    public var isReady: Bool { self["READY"] == "1" }
    /// `WATCHDOG=1`: a liveness ping.
    public var isWatchdog: Bool { self["WATCHDOG"] == "1" }
    /// `WATCHDOG=trigger`: the sender asks to be treated as hung.
    public var isWatchdogTrigger: Bool { self["WATCHDOG"] == "trigger" }
    /// `STOPPING=1`: the sender is shutting down.
    public var isStopping: Bool { self["STOPPING"] == "1" }
    /// Stevedore's own variable (sd_notify(3) leaves `X_` names to applications):
    /// `X_STEVEDORE_DEGRADED=reason` marks the sender degraded, an empty value clears it.
    public static let degradedKey = "X_STEVEDORE_DEGRADED"

    /// `STATUS=…`: a one-line status.
    public var status: String? { self["STATUS"] }

    /// Equal when the same assignments were sent in the same order.
    public static func == (a: NotifyMessage, b: NotifyMessage) -> Bool {
        a.assignments.map { "\($0.key)=\($0.value)" } == b.assignments.map { "\($0.key)=\($0.value)" }
    }
}
