import LogStreamer

/// One line of `GET /api/deployments/NAME/logs` (newline-delimited JSON, docs/API.md):
/// a record of the deployment's log files, already redacted.
public struct LogEntryView: Codable, Sendable, Equatable {
    /// Docker's timestamp, RFC 3339 UTC with nine fractional digits.
    public var time: String
    /// The Compose service.
    public var service: String
    /// `stdout` or `stderr`.
    public var stream: String
    /// The container's 12-character short id.
    public var container: String
    /// The line was split (longer than the line limit, or flushed before its newline): it
    /// continues in the next entry of the same container and stream.
    public var continues: Bool
    /// The text, without newline (invalid UTF-8 replaced by U+FFFD).
    public var text: String

    /// The view of a record.
    public init(_ entry: LogReader.Entry) {
        time = String(decoding: entry.record.timestamp, as: UTF8.self)
        service = entry.service
        stream = entry.record.stream.name
        container = entry.record.container
        continues = entry.record.continues
        text = String(decoding: entry.record.text, as: UTF8.self)
    }
}
