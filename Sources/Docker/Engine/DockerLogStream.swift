/// Demultiplexes the Docker Engine's log/attach stream of a container without a TTY
/// (Engine API "Stream format"): frames of an 8-byte header — byte 0 the stream (0 stdin,
/// 1 stdout, 2 stderr), bytes 1–3 zero, bytes 4–7 the payload length as big-endian UInt32 —
/// followed by the payload. Bytes may arrive in any split; ``next()`` returns a frame only
/// once it is complete.
public struct DockerLogStream: Sendable {
    /// Which stream a frame belongs to.
    public enum Stream: UInt8, Sendable {
        case stdin = 0
        case stdout = 1
        case stderr = 2
    }

    /// One frame's stream and payload.
    public struct Frame: Sendable, Equatable {
        /// stdout or stderr (stdin never appears in a log).
        public var stream: Stream
        /// The frame's bytes (a part of the output, not necessarily whole lines).
        public var payload: [UInt8]
    }

    private var buffer: [UInt8] = []
    private var start = 0

    /// An empty stream.
    public init() {}

    /// Adds received bytes.
    public mutating func append(_ bytes: [UInt8]) {
        if start > 0, start == buffer.count {
            buffer.removeAll(keepingCapacity: true)
            start = 0
        }
        buffer += bytes
    }

    /// The next complete frame, or `nil` until more bytes arrive. A header whose stream byte
    /// is not 0, 1 or 2 is read as stdout (the engine never sends one; a TTY stream has no
    /// headers at all and must not be parsed with this type).
    public mutating func next() -> Frame? {
        guard buffer.count - start >= 8 else { return nil }
        let length = buffer[(start + 4)..<(start + 8)].reduce(0) { ($0 << 8) | Int($1) }
        guard buffer.count - start - 8 >= length else { return nil }
        let stream = Stream(rawValue: buffer[start]) ?? .stdout
        let payload = Array(buffer[(start + 8)..<(start + 8 + length)])
        start += 8 + length
        return Frame(stream: stream, payload: payload)
    }

    /// Bytes received but not yet returned as a frame (an incomplete frame at the end).
    public var pendingByteCount: Int { buffer.count - start }
}
