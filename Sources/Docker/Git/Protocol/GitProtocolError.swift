/// What is wrong with a Git server's answer to ref discovery, or with a request that could
/// not be encoded. Each case names the offending bytes (shown escaped, at most 64 of them)
/// and what was expected; the sources are gitprotocol-common(5), gitprotocol-pack(5),
/// gitprotocol-http(5) and gitprotocol-v2(5).
public enum GitProtocolError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A pkt-line length prefix that is not 4 ASCII hex digits.
    case invalidLength(bytes: [UInt8])
    /// A pkt-line length of 3 (nothing means `0003`) or above 65520.
    case lengthOutOfRange(length: Int)
    /// A payload too long for one packet (encoding a request).
    case packetTooLong(length: Int)
    /// The answer grew past the limit on a whole response: a server that answers forever.
    case responseTooLarge(limit: Int)
    /// The answer ended inside a packet (`received` of the `expected` bytes, prefix included).
    case truncated(received: Int, expected: Int)
    /// The answer ended before the packet that closes it (a flush).
    case endedEarly(after: String)
    /// The server sent an `ERR` packet (gitprotocol-pack(5)): its message.
    case serverError(String)
    /// A packet that the grammar does not allow at this point: what was expected, what came.
    case unexpected(expected: String, got: [UInt8])
    /// An object id that is not 40 (SHA-1) or 64 (SHA-256) lower-case hex digits, or not of
    /// the repository's object format.
    case invalidObjectID(bytes: [UInt8], objectFormat: String)
    /// An `object-format` the reader does not know (known: `sha1`, `sha256`).
    case unknownObjectFormat(String)
    /// More capabilities than a server has any reason to send.
    case tooManyCapabilities(limit: Int)
    /// A branch name git-check-ref-format(1) `--branch` refuses (nothing is sent).
    case invalidBranch(String)

    public var description: String {
        switch self {
        case .invalidLength(let bytes):
            return "git server sent a pkt-line length \(Self.show(bytes)) that is not 4 hex digits (gitprotocol-common(5))"
        case .lengthOutOfRange(let length):
            return
                "git server sent a pkt-line length of \(length) bytes: allowed are 0000, 0001, 0002 and 4 to \(PktLine.maxPacketLength) (gitprotocol-common(5))"
        case .packetTooLong(let length):
            return "a pkt-line of \(length) bytes is longer than the \(PktLine.maxPacketLength) git allows"
        case .responseTooLarge(let limit):
            return "git server's answer passed \(limit) bytes and was cut off (a ref advertisement is far smaller)"
        case .truncated(let received, let expected):
            return "git server's answer ended inside a pkt-line: \(received) of its \(expected) bytes arrived"
        case .endedEarly(let after):
            return "git server's answer ended before its closing flush packet, after \(after)"
        case .serverError(let message):
            return "git server said: \(message)"
        case .unexpected(let expected, let got):
            return "git server sent \(Self.show(got)) where \(expected) belongs"
        case .invalidObjectID(let bytes, let objectFormat):
            return
                "git server sent the object id \(Self.show(bytes)): a \(objectFormat) id is \(objectFormat == "sha256" ? 64 : 40) lower-case hex digits"
        case .unknownObjectFormat(let format):
            return "git server uses the object format '\(format)': known are sha1 and sha256"
        case .tooManyCapabilities(let limit):
            return "git server advertised more than \(limit) capabilities"
        case .invalidBranch(let branch):
            return "'\(branch)' is not a valid branch name (git-check-ref-format(1) --branch)"
        }
    }

    /// `bytes` quoted, printable ASCII as is and the rest as `\xNN`, cut after 64 bytes.
    static func show(_ bytes: [UInt8]) -> String {
        var out = "'"
        for byte in bytes.prefix(64) {
            switch byte {
            case 0x0A: out += "\\n"
            case 0x27, 0x5C: out += "\\" + String(UnicodeScalar(byte))
            case 0x20...0x7E: out.append(Character(UnicodeScalar(byte)))
            default:
                let hex = String(byte, radix: 16)
                out += "\\x" + (hex.count == 1 ? "0" + hex : hex)
            }
        }
        return out + (bytes.count > 64 ? "'… (\(bytes.count) bytes)" : "'")
    }
}
