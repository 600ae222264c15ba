/// SSH wire encoding (RFC 4251 §5): `byte`, `uint32` (big-endian), `string` (uint32 length +
/// bytes). Used by the SSH agent protocol and the OpenSSH public key format.
public struct SSHWireWriter: Sendable {
    /// The bytes written so far.
    public private(set) var bytes: [UInt8] = []

    /// An empty writer.
    public init() {}

    /// Appends one byte.
    public mutating func byte(_ value: UInt8) { bytes.append(value) }

    /// Appends a big-endian uint32.
    public mutating func uint32(_ value: UInt32) {
        bytes += [UInt8(value >> 24), UInt8(value >> 16 & 0xff), UInt8(value >> 8 & 0xff), UInt8(value & 0xff)]
    }

    /// Appends a length-prefixed string.
    public mutating func string(_ value: some Collection<UInt8>) {
        uint32(UInt32(value.count))
        bytes += value
    }

    /// Appends a length-prefixed UTF-8 string.
    public mutating func string(_ value: String) { string(Array(value.utf8)) }
}
