import Docker

/// One line of a log file: what the streamer writes and `stevedore logs` reads.
///
/// On disk: `TIMESTAMP STREAM CONTAINER TEXT\n` — the Docker timestamp (``LogTimestamp``, 30
/// bytes), `stdout` or `stderr` with a `+` appended when the line was split (it continues in
/// the next record of the same container and stream: a line longer than the limit, or one
/// cut by an idle flush), the container's 12-character short id, then the redacted text as
/// the container printed it, without its newline (any other byte is kept as is).
public struct LogRecord: Sendable, Equatable {
    /// Canonical timestamp bytes (30).
    public var timestamp: [UInt8]
    /// stdout or stderr.
    public var stream: LogFrameDemuxer.Stream
    /// Whether the line continues in the next record (split with the `+` marker).
    public var continues: Bool
    /// The 12-character short container id.
    public var container: String
    /// The redacted text, without newline.
    public var text: [UInt8]

    /// A record with the given fields.
    public init(timestamp: [UInt8], stream: LogFrameDemuxer.Stream, continues: Bool, container: String, text: [UInt8]) {
        self.timestamp = timestamp
        self.stream = stream
        self.continues = continues
        self.container = container
        self.text = text
    }

    /// Bytes of the file line, newline included: 30 + 1 + 6 (+1 with `+`) + 1 + 12 + 1 + text + 1.
    public var lineLength: Int { 52 + (continues ? 1 : 0) + text.count }

    /// The file line, newline included.
    public var line: [UInt8] {
        var out: [UInt8] = []
        append(to: &out)
        return out
    }

    /// Appends the file line (newline included) to `out`.
    public func append(to out: inout [UInt8]) {
        // No reserveCapacity here: called per record on one growing buffer, an exact
        // reservation would reallocate and copy the whole buffer each time.
        out.append(contentsOf: timestamp)
        out.append(0x20)
        out.append(contentsOf: stream == .stdout ? Self.stdoutBytes : Self.stderrBytes)
        if continues { out.append(0x2B) }
        out.append(0x20)
        out.append(contentsOf: container.utf8)
        out.append(0x20)
        out.append(contentsOf: text)
        out.append(0x0A)
    }

    private static let stdoutBytes = Array("stdout".utf8)
    private static let stderrBytes = Array("stderr".utf8)

    /// Parses one file line (without its newline); `nil` if it is not in the format (a file
    /// edited by hand, a line cut by a crash during a write).
    public init?(line: ArraySlice<UInt8>) {
        let s = line.startIndex
        guard line.count >= 30 + 1 + 6 + 1 + 12 + 1, line[s + 30] == 0x20 else { return nil }
        let ts = line[s..<(s + 30)]
        guard ts[s + 29] == 0x5A, ts[s + 19] == 0x2E else { return nil }
        var i = s + 31
        let streamBytes = line[i..<(i + 6)]
        let stream: LogFrameDemuxer.Stream
        if streamBytes.elementsEqual(Self.stdoutBytes) {
            stream = .stdout
        } else if streamBytes.elementsEqual(Self.stderrBytes) {
            stream = .stderr
        } else {
            return nil
        }
        i += 6
        var continues = false
        if i < line.endIndex, line[i] == 0x2B {
            continues = true
            i += 1
        }
        guard i + 14 <= line.endIndex, line[i] == 0x20, line[i + 13] == 0x20 else { return nil }
        let container = String(decoding: line[(i + 1)..<(i + 13)], as: UTF8.self)
        self.init(
            timestamp: Array(ts), stream: stream, continues: continues, container: container,
            text: Array(line[(i + 14)...]))
    }
}
