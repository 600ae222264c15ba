/// Cuts a byte stream into pkt-lines (gitprotocol-common(5)) as the pieces arrive, in any
/// sizes: a piece may end inside a length prefix or a payload.
///
/// Memory: the decoder keeps at most one unfinished packet (≤ 65520 bytes); every complete
/// packet of a piece is handed out at once. Every byte fed counts towards
/// ``responseLimit``, so a server that never stops answering ends in an error, not in
/// unbounded work.
public struct PktLineDecoder: Sendable {
    /// The default limit on one whole response: 64 MiB. A ref advertisement of 100,000 refs
    /// is about 7 MB; v2's `ls-refs` with a `ref-prefix` answers in a few hundred bytes.
    public static let defaultResponseLimit = 64 << 20

    /// Bytes a response may have in all (prefixes included) before it is refused.
    public let responseLimit: Int
    /// Bytes fed so far.
    public private(set) var received = 0
    /// The unfinished packet: its length prefix and the payload bytes so far.
    private var pending: [UInt8] = []
    /// The length of the unfinished packet, once its prefix is complete.
    private var pendingLength: Int?

    /// - Parameter responseLimit: bytes a whole response may have (default
    ///   ``defaultResponseLimit``, 64 MiB).
    public init(responseLimit: Int = PktLineDecoder.defaultResponseLimit) {
        self.responseLimit = responseLimit
        pending.reserveCapacity(4)
    }

    /// Bytes of the unfinished packet kept (at most ``PktLine/maxPacketLength``).
    var buffered: Int { pending.count }

    /// Whether the stream stands between packets (nothing unfinished is kept).
    public var isAtBoundary: Bool { pending.isEmpty }

    /// Feeds the next piece of the stream and hands each packet it completes to `handle`, in
    /// order.
    ///
    /// - Throws: ``GitProtocolError/invalidLength(bytes:)`` (a prefix that is not 4 hex
    ///   digits; upper-case hex is accepted, as git does),
    ///   ``GitProtocolError/lengthOutOfRange(length:)`` (`0003`, or above 65520),
    ///   ``GitProtocolError/responseTooLarge(limit:)``, and whatever `handle` throws. After an
    ///   error the stream is unusable: the decoder should be dropped.
    public mutating func feed(_ piece: some Collection<UInt8>, _ handle: (PktLine) throws -> Void) throws {
        guard received <= responseLimit - piece.count else {
            received = responseLimit
            throw GitProtocolError.responseTooLarge(limit: responseLimit)
        }
        received += piece.count
        var index = piece.startIndex
        while index != piece.endIndex {
            if let length = pendingLength {
                let wanted = length - pending.count
                let end = piece.index(index, offsetBy: wanted, limitedBy: piece.endIndex) ?? piece.endIndex
                pending.append(contentsOf: piece[index..<end])
                index = end
                if pending.count == length {
                    let payload = Array(pending[4...])
                    pending.removeAll(keepingCapacity: true)
                    pendingLength = nil
                    try handle(.data(payload))
                }
                continue
            }
            pending.append(piece[index])
            index = piece.index(after: index)
            guard pending.count == 4 else { continue }
            let length = try Self.length(pending)
            switch length {
            case 0, 1, 2:
                pending.removeAll(keepingCapacity: true)
                try handle(length == 0 ? .flush : length == 1 ? .delimiter : .responseEnd)
            case 4:
                pending.removeAll(keepingCapacity: true)
                try handle(.data([]))
            case 5...PktLine.maxPacketLength:
                pendingLength = length
                pending.reserveCapacity(length)
            default:
                throw GitProtocolError.lengthOutOfRange(length: length)
            }
        }
    }

    /// Feeds a piece and returns the packets it completes.
    ///
    /// - Throws: as ``feed(_:_:)``.
    public mutating func feed(_ piece: some Collection<UInt8>) throws -> [PktLine] {
        var packets: [PktLine] = []
        try feed(piece) { packets.append($0) }
        return packets
    }

    /// Declares the end of the stream.
    ///
    /// - Throws: ``GitProtocolError/truncated(received:expected:)`` when it ended inside a
    ///   packet (`expected` is 4 when even the length prefix is incomplete).
    public func finish() throws {
        guard pending.isEmpty else { throw GitProtocolError.truncated(received: pending.count, expected: pendingLength ?? 4) }
    }

    /// Decodes a whole response at once.
    ///
    /// - Throws: as ``feed(_:_:)`` and ``finish()``.
    public static func decode(_ bytes: some Collection<UInt8>, responseLimit: Int = defaultResponseLimit) throws -> [PktLine] {
        var decoder = PktLineDecoder(responseLimit: responseLimit)
        let packets = try decoder.feed(bytes)
        try decoder.finish()
        return packets
    }

    /// The value of a 4-byte hex prefix.
    private static func length(_ prefix: [UInt8]) throws -> Int {
        var value = 0
        for byte in prefix {
            let digit: Int
            switch byte {
            case 0x30...0x39: digit = Int(byte - 0x30)
            case 0x61...0x66: digit = Int(byte - 0x61 + 10)
            case 0x41...0x46: digit = Int(byte - 0x41 + 10)
            default: throw GitProtocolError.invalidLength(bytes: prefix)
            }
            value = value << 4 | digit
        }
        return value
    }
}
