/// A deployment's SSH deploy key as stored: the private part is the 32-byte Ed25519 seed
/// (RFC 8032), which exists only in the encrypted database and in the agent's memory.
public struct DeployKeyRecord: Sendable, Equatable {
    /// The deployment it belongs to.
    public var deployment: String
    /// `ssh-ed25519`.
    public var keyType: String
    /// The private seed (32 bytes). Never logged, never written to a file, never sent.
    public var privateSeed: [UInt8]
    /// The OpenSSH public key line (`ssh-ed25519 AAAA… stevedore:<name>`).
    public var publicKey: String
    /// Unix time (seconds) of creation.
    public var createdAt: Double

    /// A record with the given fields (see the properties).
    public init(deployment: String, keyType: String, privateSeed: [UInt8], publicKey: String, createdAt: Double) {
        self.deployment = deployment
        self.keyType = keyType
        self.privateSeed = privateSeed
        self.publicKey = publicKey
        self.createdAt = createdAt
    }
}
