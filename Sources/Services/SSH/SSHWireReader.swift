/// Reads SSH wire values; every read checks the remaining length.
public struct SSHWireReader: Sendable {
    /// A value ran past the end of the input.
    public struct Truncated: Error, Sendable, CustomStringConvertible {
        public var description: String { "truncated SSH wire data" }
    }

    private let bytes: [UInt8]
    private var offset = 0

    /// Reads `bytes` from the start.
    public init(_ bytes: [UInt8]) { self.bytes = bytes }

    /// Whether everything was read.
    public var isAtEnd: Bool { offset == bytes.count }

    /// Reads one byte.
    ///
    /// - Throws: ``Truncated``.
    public mutating func byte() throws -> UInt8 {
        guard offset < bytes.count else { throw Truncated() }
        defer { offset += 1 }
        return bytes[offset]
    }

    /// Reads a big-endian uint32.
    ///
    /// - Throws: ``Truncated``.
    public mutating func uint32() throws -> UInt32 {
        guard bytes.count - offset >= 4 else { throw Truncated() }
        defer { offset += 4 }
        return bytes[offset..<offset + 4].reduce(0) { $0 << 8 | UInt32($1) }
    }

    /// Reads a length-prefixed string's bytes.
    ///
    /// - Throws: ``Truncated`` when the declared length runs past the end.
    public mutating func string() throws -> [UInt8] {
        let length = Int(try uint32())
        guard bytes.count - offset >= length else { throw Truncated() }
        defer { offset += length }
        return Array(bytes[offset..<offset + length])
    }
}
