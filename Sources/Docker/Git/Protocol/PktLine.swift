/// One packet of git's pkt-line framing (gitprotocol-common(5), "pkt-line Format";
/// gitprotocol-v2(5) for the delimiter and response-end packets).
///
/// On the wire a packet is a 4-digit hexadecimal length that counts itself, then that many
/// bytes minus 4: `0006a\n` carries `a\n`. Three lengths carry no data and mean something:
/// `0000` flush, `0001` delimiter (v2), `0002` response-end (v2, stateless connections).
/// `0003` is invalid, and no packet is longer than 65520 bytes in all (65516 of data).
public enum PktLine: Sendable, Equatable {
    /// A data packet's payload (0 to ``maxDataLength`` bytes; git sends text lines with a
    /// trailing LF, which stays in the payload).
    case data([UInt8])
    /// `0000`: the end of a message or section.
    case flush
    /// `0001`: separates sections of a v2 command (gitprotocol-v2(5)).
    case delimiter
    /// `0002`: the end of a response on a stateless connection (gitprotocol-v2(5)).
    case responseEnd

    /// The largest packet, length prefix included: 65520 bytes (gitprotocol-common(5),
    /// `LARGE_PACKET_MAX`).
    public static let maxPacketLength = 65520
    /// The largest payload of a data packet: 65516 bytes.
    public static let maxDataLength = maxPacketLength - 4

    /// The payload as text without one trailing LF, for the text packets of ref discovery;
    /// `nil` for the special packets. Bytes that are not UTF-8 come out as U+FFFD.
    public var text: String? {
        guard case .data(let bytes) = self else { return nil }
        return String(decoding: bytes.last == 0x0A ? bytes.dropLast() : bytes[...], as: UTF8.self)
    }
}
