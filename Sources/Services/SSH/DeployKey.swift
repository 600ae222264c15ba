import Crypto
import Foundation

/// A deployment's SSH deploy key: Ed25519 (RFC 8709 for its SSH encoding), generated
/// in-process with swift-crypto. The private half lives only in the encrypted database and in
/// memory; this type never writes it anywhere.
public struct DeployKey: Sendable {
    /// The SSH key type name.
    public static let keyType = "ssh-ed25519"

    private let privateKey: Curve25519.Signing.PrivateKey

    /// A new random key.
    public static func generate() -> DeployKey { DeployKey(privateKey: .init()) }

    private init(privateKey: Curve25519.Signing.PrivateKey) { self.privateKey = privateKey }

    /// A key from its 32-byte seed (as stored in the database).
    ///
    /// - Throws: `CryptoKitError` if `seed` is not 32 bytes.
    public init(seed: some ContiguousBytes) throws {
        privateKey = try Curve25519.Signing.PrivateKey(rawRepresentation: seed)
    }

    /// The 32-byte seed, for the encrypted database only.
    public var seed: [UInt8] { Array(privateKey.rawRepresentation) }

    /// The public key blob: `string "ssh-ed25519"`, `string` 32-byte key (RFC 8709 §4).
    public var publicKeyBlob: [UInt8] {
        var writer = SSHWireWriter()
        writer.string(Self.keyType)
        writer.string(Array(privateKey.publicKey.rawRepresentation))
        return writer.bytes
    }

    /// The OpenSSH public key line, e.g. `ssh-ed25519 AAAAC3Nz… stevedore:hello`
    /// (as in `authorized_keys` and GitHub's deploy keys).
    public func openSSHPublicKey(comment: String) -> String {
        "\(Self.keyType) \(Data(publicKeyBlob).base64EncodedString()) \(comment)"
    }

    /// Signs `data` and returns the SSH signature blob: `string "ssh-ed25519"`, `string`
    /// 64-byte signature (RFC 8709 §6).
    ///
    /// - Throws: `CryptoKitError` if signing fails.
    public func signatureBlob(for data: [UInt8]) throws -> [UInt8] {
        let signature = try privateKey.signature(for: data)
        var writer = SSHWireWriter()
        writer.string(Self.keyType)
        writer.string(Array(signature))
        return writer.bytes
    }
}
