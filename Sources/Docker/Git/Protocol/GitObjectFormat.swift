/// The hash of a repository's object ids (gitprotocol-v2(5) and gitprotocol-pack(5),
/// capability `object-format`; a server that does not advertise one uses SHA-1).
public enum GitObjectFormat: String, Sendable, Equatable {
    /// SHA-1: ids of 40 hex digits.
    case sha1
    /// SHA-256: ids of 64 hex digits (`git init --object-format=sha256`).
    case sha256

    /// Hex digits of an object id: 40 or 64.
    public var hexLength: Int { self == .sha1 ? 40 : 64 }

    /// The format named by an `object-format` capability value.
    ///
    /// - Throws: ``GitProtocolError/unknownObjectFormat(_:)`` for another name.
    public init(capability value: String) throws {
        guard let format = GitObjectFormat(rawValue: value) else { throw GitProtocolError.unknownObjectFormat(value) }
        self = format
    }

    /// Whether `bytes` are an object id of this format: exactly ``hexLength`` lower-case
    /// ASCII hex digits (git writes no other form).
    public func isObjectID(_ bytes: some Collection<UInt8>) -> Bool {
        bytes.count == hexLength && bytes.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
    }

    /// `bytes` as an object id string.
    ///
    /// - Throws: ``GitProtocolError/invalidObjectID(bytes:objectFormat:)`` when they are not one.
    func objectID(_ bytes: some Collection<UInt8>) throws -> String {
        guard isObjectID(bytes) else { throw GitProtocolError.invalidObjectID(bytes: Array(bytes), objectFormat: rawValue) }
        return String(decoding: bytes, as: UTF8.self)
    }
}
