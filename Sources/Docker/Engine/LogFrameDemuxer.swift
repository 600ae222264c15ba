/// Splits a Docker log stream into messages as bytes arrive, without ever holding a whole
/// frame: the Engine API's multiplexed "Stream format" (an 8-byte header — byte 0 the stream,
/// 1 stdout or 2 stderr, bytes 4–7 the payload length, big-endian UInt32 — then the payload)
/// or, for a container with a TTY, the raw bytes, where a message ends at each newline.
///
/// Untrusted input: any byte sequence is accepted. A length up to 2^32−1 costs nothing (the
/// payload is passed on in the pieces it arrives in), an unknown stream byte is read as
/// stdout, a stream cut inside a header leaves the header bytes pending (at most 7 bytes).
public struct LogFrameDemuxer: Sendable {
    /// Which output a message came from.
    public enum Stream: UInt8, Sendable, Equatable {
        case stdout = 1
        case stderr = 2

        /// `stdout` or `stderr`, as written in the log files.
        public var name: String { self == .stdout ? "stdout" : "stderr" }
    }

    /// What ``feed(_:_:)`` reports, in order.
    public enum Event: Equatable, Sendable {
        /// A message begins (a frame header was read; with a TTY, the first byte of a line).
        case start(Stream)
        /// Bytes of the current message (a part or all of it).
        case bytes(ArraySlice<UInt8>)
        /// The current message is complete (its length was reached; with a TTY, a newline).
        case end
    }

    /// Whether the stream has no frame headers (`Config.Tty` of the container).
    public let tty: Bool
    private var header: [UInt8] = []
    private var remaining: UInt64 = 0
    private var inMessage = false
    private var stream: Stream = .stdout

    /// - Parameter tty: `true` for a container with a TTY (no framing, all stdout).
    public init(tty: Bool) {
        self.tty = tty
        header.reserveCapacity(8)
    }

    /// Bytes of an unfinished frame header (0…7).
    public var pendingHeaderBytes: Int { header.count }

    /// Whether a message was started and not yet ended.
    public var isInMessage: Bool { inMessage }

    /// Takes the next piece of the stream and reports its events to `handle`.
    public mutating func feed(_ bytes: ArraySlice<UInt8>, _ handle: (Event) -> Void) {
        tty ? feedRaw(bytes, handle) : feedFramed(bytes, handle)
    }

    private mutating func feedRaw(_ bytes: ArraySlice<UInt8>, _ handle: (Event) -> Void) {
        var index = bytes.startIndex
        while index < bytes.endIndex {
            if !inMessage {
                inMessage = true
                handle(.start(.stdout))
            }
            if let newline = bytes[index...].firstIndex(of: 0x0A) {
                handle(.bytes(bytes[index...newline]))
                handle(.end)
                inMessage = false
                index = newline + 1
            } else {
                handle(.bytes(bytes[index...]))
                index = bytes.endIndex
            }
        }
    }

    private mutating func feedFramed(_ bytes: ArraySlice<UInt8>, _ handle: (Event) -> Void) {
        var index = bytes.startIndex
        while index < bytes.endIndex {
            if !inMessage {
                let need = 8 - header.count
                let take = min(need, bytes.endIndex - index)
                header.append(contentsOf: bytes[index..<(index + take)])
                index += take
                guard header.count == 8 else { return }
                stream = header[0] == 2 ? .stderr : .stdout
                remaining = UInt64(header[4]) << 24 | UInt64(header[5]) << 16 | UInt64(header[6]) << 8 | UInt64(header[7])
                header.removeAll(keepingCapacity: true)
                inMessage = true
                handle(.start(stream))
                if remaining == 0 {
                    inMessage = false
                    handle(.end)
                }
                continue
            }
            let available = UInt64(bytes.endIndex - index)
            let take = Int(min(available, remaining))
            handle(.bytes(bytes[index..<(index + take)]))
            index += take
            remaining -= UInt64(take)
            if remaining == 0 {
                inMessage = false
                handle(.end)
            }
        }
    }
}
