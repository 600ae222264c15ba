extension PktLine {
    /// The packet on the wire (gitprotocol-common(5)): the 4 lower-case hex digits of its
    /// length, then the payload.
    ///
    /// - Throws: ``GitProtocolError/packetTooLong(length:)`` when a payload is longer than
    ///   ``maxDataLength`` (65516 bytes).
    public func encoded() throws -> [UInt8] {
        switch self {
        case .flush: return Array("0000".utf8)
        case .delimiter: return Array("0001".utf8)
        case .responseEnd: return Array("0002".utf8)
        case .data(let payload):
            guard payload.count <= Self.maxDataLength else { throw GitProtocolError.packetTooLong(length: payload.count + 4) }
            let length = payload.count + 4
            let digits = Array("0123456789abcdef".utf8)
            return [12, 8, 4, 0].map { digits[(length >> $0) & 0xF] } + payload
        }
    }

    /// A text packet: `line` and a trailing LF, as git sends and expects commands,
    /// capabilities and arguments (gitprotocol-v2(5)).
    public static func line(_ line: String) -> PktLine { .data(Array(line.utf8) + [0x0A]) }
}
