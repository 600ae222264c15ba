import Crypto
import Foundation
import NIOCore
import NIOEmbedded
import SeededRandom
import Testing

@testable import Services

/// Seeded randomized tests of the SSH agent's parsers of untrusted bytes: the wire reader, the
/// request handling and the socket's frame decoder, fed mutations of real requests
/// (Fixtures/corpus/ssh-agent: recorded from `ssh-add`, `ssh-keygen -Y sign` and `ssh` to a
/// real sshd, i.e. with `session-bind@openssh.com`), random bytes, truncations and lengths up to
/// 2^32−1. Nothing may trap; a declared length never allocates more than the input holds;
/// frames and wire values round-trip; a signature the agent gives verifies.
@Suite struct SSHAgentFuzzTests {
    static let run = FuzzRun("SSHAgentFuzzTests")
    /// Recorded frames (uint32 length + message).
    static let corpus = FuzzCorpus.load("ssh-agent")
    static let messages = corpus.map { Array($0.bytes.dropFirst(4)) }

    /// The recorded sign requests are for the throwaway Ed25519 key that `ssh-add` sent in
    /// `ssh-add-ed25519-throwaway.bin` (SSH_AGENTC_ADD_IDENTITY: type, public key, seed ‖
    /// public key, comment): that key, so that they are answered with a real signature.
    static let recordedKey: DeployKey = {
        let frame = corpus.first { $0.name == "ssh-add-ed25519-throwaway.bin" }!.bytes
        var reader = SSHWireReader(Array(frame.dropFirst(5)))
        _ = try! reader.string()
        _ = try! reader.string()
        return try! DeployKey(seed: Array(try! reader.string().prefix(32)))
    }()

    static let keys: [(key: DeployKey, comment: String)] = [(recordedKey, "stevedore:fuzz"), (DeployKey.generate(), "other")]

    /// A random input: a mutated recording, random bytes, or a recording cut short.
    static func input(_ rng: inout SplitMix) -> [UInt8] {
        switch Int.random(in: 0..<8, using: &rng) {
        case 0: return FuzzMutator.randomBytes(Int.random(in: 0...64, using: &rng), &rng)
        case 1:
            let message = messages.randomElement(using: &rng)!
            return Array(message.prefix(Int.random(in: 0...message.count, using: &rng)))
        case 2: return messages.randomElement(using: &rng)!
        default: return FuzzMutator.mutate(messages.randomElement(using: &rng)!, &rng, others: messages)
        }
    }

    @Test("wire reader: any bytes, any sequence of reads: no trap, no value longer than the input")
    func wireReaderOnAnyBytes() {
        var rng = Self.run.generator("wire")
        for _ in 0..<Self.run.iterations {
            let bytes = Self.input(&rng)
            var reader = SSHWireReader(bytes)
            var consumed = 0
            do {
                for _ in 0..<Int.random(in: 1...12, using: &rng) {
                    switch Int.random(in: 0..<3, using: &rng) {
                    case 0: consumed += try reader.string().count + 4
                    case 1:
                        _ = try reader.uint32()
                        consumed += 4
                    default:
                        _ = try reader.byte()
                        consumed += 1
                    }
                    #expect(consumed <= bytes.count)
                }
            } catch {
                #expect(error is SSHWireReader.Truncated)
            }
        }
    }

    @Test("wire values written are read back exactly")
    func wireValuesRoundTrip() {
        var rng = Self.run.generator("roundtrip")
        for iteration in 0..<Self.run.iterations {
            enum Value: Equatable {
                case byte(UInt8)
                case uint32(UInt32)
                case string([UInt8])
            }
            var writer = SSHWireWriter()
            var values: [Value] = []
            for _ in 0..<Int.random(in: 0...8, using: &rng) {
                switch Int.random(in: 0..<3, using: &rng) {
                case 0:
                    let b = UInt8.random(in: 0...255, using: &rng)
                    writer.byte(b)
                    values.append(.byte(b))
                case 1:
                    let n = FuzzMutator.interestingLengths.randomElement(using: &rng)! ^ UInt32.random(in: 0...3, using: &rng)
                    writer.uint32(n)
                    values.append(.uint32(n))
                default:
                    let s = FuzzMutator.randomBytes(Int.random(in: 0...100, using: &rng), &rng)
                    writer.string(s)
                    values.append(.string(s))
                }
            }
            var reader = SSHWireReader(writer.bytes)
            let read = values.map { value -> Value? in
                switch value {
                case .byte: return (try? reader.byte()).map(Value.byte)
                case .uint32: return (try? reader.uint32()).map(Value.uint32)
                case .string: return (try? reader.string()).map(Value.string)
                }
            }
            #expect(read == values.map { Optional($0) }, "\(Self.run.context(iteration))")
            #expect(reader.isAtEnd)
        }
    }

    @Test("requests: any message gets failure, the identities or a signature that verifies")
    func respondToAnyMessage() throws {
        var rng = Self.run.generator("respond")
        let publicKey = try Curve25519.Signing.PublicKey(rawRepresentation: Array(Self.recordedKey.publicKeyBlob.suffix(32)))
        var signed = 0
        for iteration in 0..<Self.run.iterations {
            let message = Self.input(&rng)
            let answer = SSHAgentProtocol.respond(to: message, keys: Self.keys)
            switch answer.first {
            case SSHAgentProtocol.MessageType.failure.rawValue:
                #expect(answer == SSHAgentProtocol.failure)
            case SSHAgentProtocol.MessageType.identitiesAnswer.rawValue:
                #expect(message.first == SSHAgentProtocol.MessageType.requestIdentities.rawValue)
                var reader = SSHWireReader(Array(answer.dropFirst()))
                #expect(try reader.uint32() == 2)
                #expect(try reader.string() == Self.recordedKey.publicKeyBlob)
            case SSHAgentProtocol.MessageType.signResponse.rawValue:
                // Only for a well-formed request for the recorded key: the signature is of its data.
                var request = SSHWireReader(Array(message.dropFirst()))
                let blob = try request.string()
                let data = try request.string()
                var response = SSHWireReader(Array(answer.dropFirst()))
                var signature = SSHWireReader(try response.string())
                #expect(try signature.string() == Array("ssh-ed25519".utf8))
                let raw = try signature.string()
                let valid = blob == Self.recordedKey.publicKeyBlob && publicKey.isValidSignature(raw, for: data)
                #expect(valid, "\(Self.run.context(iteration))")
                signed += 1
            default:
                Issue.record("unexpected answer \(answer.prefix(8)) to \(message.prefix(16)) (\(Self.run.context(iteration)))")
            }
        }
        // The unmutated recordings of `ssh` and `ssh-keygen -Y sign` must be signed.
        #expect(signed > 0)
    }

    /// Feeds `bytes` in random pieces to a channel with the agent's frame decoder; returns the
    /// messages decoded and whether the decoder refused the stream.
    static func decode(_ bytes: [UInt8], _ rng: inout SplitMix) -> (messages: [[UInt8]], refused: Bool) {
        let channel = EmbeddedChannel()
        try! channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(AgentFrameDecoder()))
        var out: [[UInt8]] = []
        var refused = false
        var start = 0
        for size in FuzzMutator.pieces(bytes.count, &rng) {
            do {
                try channel.writeInbound(ByteBuffer(bytes: bytes[start..<(start + size)]))
            } catch is AgentFrameDecoder.BadLength {
                refused = true
                break
            } catch {
                // ByteToMessageHandler refuses input after its decoder threw.
                refused = true
                break
            }
            start += size
            while let message = try? channel.readInbound(as: [UInt8].self) { out.append(message) }
        }
        while let message = try? channel.readInbound(as: [UInt8].self) { out.append(message) }
        _ = try? channel.finish()
        return (out, refused)
    }

    @Test("frames: well-formed frames come out whole in any pieces; a bad length ends the stream")
    func frameDecoderSplitsAnyStream() {
        var rng = Self.run.generator("frames")
        for iteration in 0..<Self.run.iterations(ci: 5_000) {
            var bytes: [UInt8] = []
            var expected: [[UInt8]] = []
            for _ in 0..<Int.random(in: 0...4, using: &rng) {
                let message = Bool.random(using: &rng) ? Self.messages.randomElement(using: &rng)! : Self.input(&rng)
                guard !message.isEmpty else { continue }
                bytes += SSHAgentProtocol.frame(message)
                expected.append(message)
            }
            // Then garbage, an empty or oversize length, or a frame cut short.
            var badLength = false
            switch Int.random(in: 0..<4, using: &rng) {
            case 0:
                let length = [0, UInt32(SSHAgentProtocol.maximumMessageLength) + 1, 0xFFFF_FFFF, 0x8000_0000].randomElement(using: &rng)!
                bytes += FuzzMutator.bigEndian(length) + FuzzMutator.randomBytes(Int.random(in: 0...32, using: &rng), &rng)
                badLength = true
            case 1:
                let frame = SSHAgentProtocol.frame(Self.messages.randomElement(using: &rng)!)
                bytes += frame.prefix(Int.random(in: 0..<frame.count, using: &rng))
            default:
                break
            }
            let (messages, refused) = Self.decode(bytes, &rng)
            #expect(messages == expected, "\(Self.run.context(iteration))")
            #expect(refused == badLength, "\(Self.run.context(iteration))")
        }
    }

    @Test("frames: mutated streams never trap and never yield a message longer than the limit")
    func frameDecoderOnMutatedStreams() {
        var rng = Self.run.generator("mutated-frames")
        let streams = Self.corpus.map(\.bytes)
        for _ in 0..<Self.run.iterations(ci: 5_000) {
            let bytes = FuzzMutator.mutate(streams.randomElement(using: &rng)!, &rng, others: streams)
            let (messages, _) = Self.decode(bytes, &rng)
            for message in messages {
                #expect((1...SSHAgentProtocol.maximumMessageLength).contains(message.count))
                _ = SSHAgentProtocol.respond(to: message, keys: Self.keys)
            }
        }
    }

    @Test("a length of 2^32-1 is refused from its 4 bytes, before any payload is buffered")
    func hugeLengthIsRefusedAtOnce() {
        var rng = SplitMix(state: 1)
        let (messages, refused) = Self.decode([0xFF, 0xFF, 0xFF, 0xFF], &rng)
        #expect(messages.isEmpty && refused)
        var reader = SSHWireReader([0xFF, 0xFF, 0xFF, 0xFF, 1, 2, 3])
        #expect(throws: SSHWireReader.Truncated.self) { try reader.string() }
    }
}
