/// The SSH agent protocol, as OpenSSH speaks it (draft-miller-ssh-agent; OpenSSH
/// PROTOCOL.agent), for a deployment's agent that holds exactly its own keys and answers only
/// what `git`/`ssh` need: list identities and sign with an Ed25519 key. Everything else —
/// adding or removing keys, locking, extensions including `session-bind@openssh.com` — gets
/// `SSH_AGENT_FAILURE`.
///
/// Framing: each message is `uint32 length`, then `length` bytes starting with the type byte.
public enum SSHAgentProtocol {
    /// Largest message accepted, in bytes (OpenSSH's agent uses 256 KiB too); a longer one
    /// closes the connection.
    public static let maximumMessageLength = 256 * 1024

    /// Message numbers (draft-miller-ssh-agent §5.1).
    public enum MessageType: UInt8, Sendable {
        /// `SSH_AGENT_FAILURE`: the request was refused or not understood.
        case failure = 5
        /// `SSH_AGENT_SUCCESS` (never sent: this agent changes no state).
        case success = 6
        /// `SSH_AGENTC_REQUEST_IDENTITIES`: list the keys.
        case requestIdentities = 11
        /// `SSH_AGENT_IDENTITIES_ANSWER`: count, then (key blob, comment) pairs.
        case identitiesAnswer = 12
        /// `SSH_AGENTC_SIGN_REQUEST`: key blob, data, flags.
        case signRequest = 13
        /// `SSH_AGENT_SIGN_RESPONSE`: the signature blob.
        case signResponse = 14
        /// `SSH_AGENTC_EXTENSION` (e.g. `session-bind@openssh.com`): refused.
        case `extension` = 27
    }

    /// The answer to one request `message` (type byte first, without the length prefix),
    /// without its length prefix. Malformed requests get `SSH_AGENT_FAILURE` too.
    ///
    /// - Parameters:
    ///   - keys: the keys this agent offers, each with its comment.
    public static func respond(to message: [UInt8], keys: [(key: DeployKey, comment: String)]) -> [UInt8] {
        guard let first = message.first, let type = MessageType(rawValue: first) else { return failure }
        var reader = SSHWireReader(Array(message.dropFirst()))
        switch type {
        case .requestIdentities:
            var writer = SSHWireWriter()
            writer.byte(MessageType.identitiesAnswer.rawValue)
            writer.uint32(UInt32(keys.count))
            for (key, comment) in keys {
                writer.string(key.publicKeyBlob)
                writer.string(comment)
            }
            return writer.bytes
        case .signRequest:
            guard let blob = try? reader.string(), let data = try? reader.string(), (try? reader.uint32()) != nil,
                reader.isAtEnd,
                let key = keys.first(where: { $0.key.publicKeyBlob == blob })?.key,
                let signature = try? key.signatureBlob(for: data)
            else { return failure }
            // Flags (SSH_AGENT_RSA_SHA2_256/512) only concern RSA keys; Ed25519 has one algorithm.
            var writer = SSHWireWriter()
            writer.byte(MessageType.signResponse.rawValue)
            writer.string(signature)
            return writer.bytes
        default:
            return failure
        }
    }

    /// `SSH_AGENT_FAILURE`.
    public static let failure: [UInt8] = [MessageType.failure.rawValue]

    /// Prefixes `message` with its uint32 length.
    public static func frame(_ message: [UInt8]) -> [UInt8] {
        var writer = SSHWireWriter()
        writer.string(message)
        return writer.bytes
    }
}
