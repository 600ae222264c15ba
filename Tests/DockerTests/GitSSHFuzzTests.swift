import Crypto
import Foundation
import NIOCore
import NIOEmbedded
import NIOSSH
import SeededRandom
import Testing

@testable import Docker

/// Seeded randomized tests of what the SSH transport parses besides the Git protocol: the
/// deployment's `known_hosts` (Fixtures/corpus/known-hosts: a file OpenSSH's `accept-new`
/// wrote, one with patterns, negation, markers and comments, and its `ssh-keygen -H` hashed
/// form), remote URLs (Fixtures/corpus/git-url), and git-upload-pack's stdout and stderr as
/// the session channel's handler reads them (Fixtures/corpus/git-protocol, v2 answers joined
/// to their `ls-refs` answers). Nothing may trap; a line the check
/// appends is trusted afterwards whatever came before it; the wildcard matcher equals a plain
/// recursive one; a parsed URL has a host, a port in range and a path, and its command
/// unquotes back to the path; the handler ends every stream with a GitError or a commit the
/// stream lists for the branch.
@Suite struct GitSSHFuzzTests {
    static let run = FuzzRun("GitSSHFuzzTests")
    static let knownHostsCorpus = FuzzCorpus.load("known-hosts").map(\.bytes)
    static let urlCorpus = FuzzCorpus.load("git-url").flatMap { String(decoding: $0.bytes, as: UTF8.self).split(separator: "\n") }
        .map { Array($0.utf8) }
    static let knownHostsTokens: [[UInt8]] = [
        "@revoked ", "@cert-authority ", "|1|", "[", "]:", ",", "!", "*", "?", "#", "\t", "\r", "\n", "ssh-ed25519 ", "ssh-rsa ",
        "ecdsa-sha2-nistp256 ", "AAAAC3NzaC1lZDI1NTE5AAAA", "127.0.0.1", "[127.0.0.1]:2222", "=", "==",
    ].map { Array($0.utf8) }
    static let urlTokens: [[UInt8]] = [
        "ssh://", "git+ssh://", "ssh+git://", "https://", "file://", "@", "@[", "[", "]", ":", "/", "/~", "~", "%", "%2f", "%00", "%7e",
        "-", "'", "!", ":22", ":65535", ":65536", ":0", "::1", " ",
    ].map { Array($0.utf8) }

    static func knownHosts(_ rng: inout SplitMix) -> [UInt8] {
        switch Int.random(in: 0..<6, using: &rng) {
        case 0: return FuzzMutator.randomBytes(Int.random(in: 0...300, using: &rng), &rng)
        case 1: return knownHostsCorpus.randomElement(using: &rng)!
        default:
            return FuzzMutator.mutate(
                knownHostsCorpus.randomElement(using: &rng)!, &rng, others: knownHostsCorpus, tokens: knownHostsTokens)
        }
    }

    @Test("known_hosts: any content reads without a trap, and a line appended for a host is trusted after it")
    func knownHostsAppend() {
        var rng = Self.run.generator("known-hosts")
        let hosts = ["127.0.0.1", "github.com", "Git.Example.ORG", "::1", "bad.example.com", "x"]
        for iteration in 0..<Self.run.iterations(ci: 5000) {
            let contents = Self.knownHosts(&rng)
            let file = SSHKnownHosts(contents: contents)
            for entry in file.entries {
                #expect(SSHKnownHosts.keyTypes.contains(entry.keyType), "\(Self.run.context(iteration))")
            }
            let host = hosts.randomElement(using: &rng)!
            let port = Bool.random(using: &rng) ? 22 : Int.random(in: 1...65535, using: &rng)
            let keyType = "ssh-ed25519"
            var key = [0, 0, 0, 11] + Array(keyType.utf8) + [0, 0, 0, 32]
            key += (0..<32).map { _ in UInt8.random(in: 0...255, using: &rng) }
            let before = file.verdict(host: host, port: port, keyType: keyType, key: key)
            #expect(before != .trusted && before != .revoked, "\(Self.run.context(iteration)): a random key was known")
            var appended = contents
            if let last = appended.last, last != 0x0A { appended.append(0x0A) }
            appended += Array(SSHKnownHosts.line(host: host, port: port, keyType: keyType, key: key).utf8)
            let after = SSHKnownHosts(contents: appended).verdict(host: host, port: port, keyType: keyType, key: key)
            #expect(after == .trusted, "\(Self.run.context(iteration)): \(after) after appending")
        }
    }

    /// The reference: OpenSSH's recursive `match_pattern`.
    static func referenceMatch(_ text: ArraySlice<UInt8>, _ pattern: ArraySlice<UInt8>) -> Bool {
        guard let first = pattern.first else { return text.isEmpty }
        if first == UInt8(ascii: "*") {
            let rest = pattern.dropFirst()
            return (0...text.count).contains { referenceMatch(text.dropFirst($0), rest) }
        }
        guard let head = text.first, first == UInt8(ascii: "?") || first == head else { return false }
        return referenceMatch(text.dropFirst(), pattern.dropFirst())
    }

    @Test("host pattern wildcards (* and ?) equal OpenSSH's recursive match_pattern")
    func wildcards() {
        var rng = Self.run.generator("wildcards")
        let alphabet = Array("ab*?.".utf8)
        for iteration in 0..<Self.run.iterations {
            let text = (0..<Int.random(in: 0...8, using: &rng)).map { _ in alphabet[Int.random(in: 0..<3, using: &rng)] }
            let pattern = (0..<Int.random(in: 0...8, using: &rng)).map { _ in alphabet.randomElement(using: &rng)! }
            #expect(
                SSHKnownHosts.wildcard(text[...], pattern[...]) == Self.referenceMatch(text[...], pattern[...]),
                "\(Self.run.context(iteration)): \(String(decoding: text, as: UTF8.self)) ~ \(String(decoding: pattern, as: UTF8.self))")
        }
        // A hostile pattern costs no recursion: many stars against a long name.
        let long = Array(repeating: UInt8(ascii: "a"), count: 4000)
        #expect(!SSHKnownHosts.wildcard(long[...], (Array(repeating: UInt8(ascii: "*"), count: 2000) + [UInt8(ascii: "b")])[...]))
    }

    @Test("the corpus URLs are SSH for GitURL too (the dispatcher's choice) and parse")
    func corpusURLs() throws {
        for bytes in Self.urlCorpus {
            let url = String(decoding: bytes, as: UTF8.self)
            #expect(GitURL.usesSSH(url), "\(url)")
            _ = try GitSSHURL(parsing: url)
        }
    }

    /// git's `sq_dequote`: the inverse of `sq_quote_buf`.
    static func dequote(_ quoted: String) -> String? {
        var out = String.UnicodeScalarView()
        var rest = Substring(quoted).unicodeScalars[...]
        guard rest.first == "'" else { return nil }
        rest = rest.dropFirst()
        while let c = rest.first {
            rest = rest.dropFirst()
            if c != "'" {
                out.append(c)
                continue
            }
            if rest.isEmpty { return String(out) }
            guard rest.first == "\\", rest.count >= 3, rest.dropFirst(2).first == "'" else { return nil }
            out.append(rest.dropFirst().first!)
            rest = rest.dropFirst(3)
        }
        return nil
    }

    @Test("URLs: any input parses or is refused with a GitError; a parsed one is well-formed and its command unquotes to the path")
    func urls() {
        var rng = Self.run.generator("urls")
        for iteration in 0..<Self.run.iterations {
            let bytes: [UInt8]
            switch Int.random(in: 0..<5, using: &rng) {
            case 0: bytes = FuzzMutator.randomBytes(Int.random(in: 0...80, using: &rng), &rng)
            case 1: bytes = Self.urlCorpus.randomElement(using: &rng)!
            default:
                bytes = FuzzMutator.mutate(Self.urlCorpus.randomElement(using: &rng)!, &rng, others: Self.urlCorpus, tokens: Self.urlTokens)
            }
            let url = String(decoding: bytes, as: UTF8.self)
            do {
                let parsed = try GitSSHURL(parsing: url)
                #expect(
                    !parsed.host.isEmpty && !parsed.host.hasPrefix("-") && (1...65535).contains(parsed.port),
                    "\(Self.run.context(iteration)): \(url) → \(parsed)")
                #expect(
                    !parsed.path.isEmpty && !parsed.path.hasPrefix("-") && !parsed.path.contains("\u{0}"), "\(Self.run.context(iteration))")
                #expect(parsed.user?.isEmpty != true, "\(Self.run.context(iteration))")
                let command = parsed.uploadPackCommand
                #expect(command.hasPrefix("git-upload-pack "))
                #expect(
                    Self.dequote(String(command.dropFirst("git-upload-pack ".count))) == parsed.path,
                    "\(Self.run.context(iteration)): \(command)")
            } catch {
                #expect(error is GitError, "\(Self.run.context(iteration))")
            }
        }
    }

    static let protocolCorpus: [[UInt8]] = {
        let files = Dictionary(uniqueKeysWithValues: FuzzCorpus.load("git-protocol").map { ($0.name, $0.bytes) })
        let v2 = ["v2-caps.pkt", "v2-caps-sha256.pkt"].compactMap { files[$0] }
        let lsRefs = files.filter { $0.key.hasPrefix("ls-refs-") && $0.key != "ls-refs-request.pkt" }.values
        return files.filter { $0.key.hasPrefix("v0-") }.map(\.value) + v2.flatMap { caps in lsRefs.map { caps + $0 } }
    }()

    @Test("upload-pack handler: hostile stdout and stderr in any pieces end in a GitError or a commit listed for the branch")
    func uploadPackHandler() throws {
        var rng = Self.run.generator("upload-pack-handler")
        let key = NIOSSHPrivateKey(ed25519Key: Curve25519.Signing.PrivateKey())
        let tokens = GitProtocolFuzzTests.tokens
        for iteration in 0..<Self.run.iterations(ci: 400) {
            let branch = ["main", "main-old", "other", "x"].randomElement(using: &rng)!
            let stdout: [UInt8]
            switch Int.random(in: 0..<5, using: &rng) {
            case 0: stdout = FuzzMutator.randomBytes(Int.random(in: 0...300, using: &rng), &rng)
            case 1: stdout = Self.protocolCorpus.randomElement(using: &rng)!
            default:
                stdout = FuzzMutator.mutate(
                    Self.protocolCorpus.randomElement(using: &rng)!, &rng, others: Self.protocolCorpus, tokens: tokens)
            }
            let stderr = Bool.random(using: &rng) ? [] : FuzzMutator.randomBytes(Int.random(in: 0...20_000, using: &rng), &rng)

            let loop = EmbeddedEventLoop()
            let session = GitSSHSession(
                loop: loop, target: try GitSSHURL(parsing: "ssh://git@h/r.git"), url: "ssh://git@h/r.git", branch: branch,
                deployment: "app",
                user: "git", key: key, knownHosts: SSHKnownHosts(entries: []), knownHostsPath: "/nonexistent/known_hosts",
                deadline: .distantFuture, timeoutSeconds: 30)
            // Completed synchronously on the embedded loop.
            final class Outcome: @unchecked Sendable { var value: Result<GitSSHAnswer, any Error>? }
            let outcome = Outcome()
            session.promise.futureResult.whenComplete { outcome.value = $0 }
            let channel = EmbeddedChannel(loop: loop)
            try channel.pipeline.syncOperations.addHandler(try GitUploadPackHandler(session: session))
            channel.pipeline.fireChannelActive()
            var at = 0
            var errAt = 0
            for size in FuzzMutator.pieces(stdout.count, &rng) {
                if errAt < stderr.count, Bool.random(using: &rng) {
                    let n = min(stderr.count - errAt, Int.random(in: 1...4096, using: &rng))
                    try channel.writeInbound(
                        SSHChannelData(type: .stdErr, data: .byteBuffer(ByteBuffer(bytes: stderr[errAt..<(errAt + n)]))))
                    errAt += n
                }
                try channel.writeInbound(SSHChannelData(type: .channel, data: .byteBuffer(ByteBuffer(bytes: stdout[at..<(at + size)]))))
                at += size
            }
            if Bool.random(using: &rng) {
                channel.pipeline.fireUserInboundEventTriggered(
                    SSHChannelRequestEvent.ExitStatus(exitStatus: Int.random(in: 0...255, using: &rng)))
            }
            channel.pipeline.fireChannelInactive()
            loop.advanceTime(to: .now() + .seconds(5))
            _ = try? channel.finish(acceptAlreadyClosed: true)
            switch outcome.value {
            case .success(let answer)?:
                #expect(GitHead.isCommit(answer.head), "\(Self.run.context(iteration))")
                let needle = Array("\(answer.head) refs/heads/\(branch)".utf8)
                let listed =
                    stdout.count >= needle.count
                    && (0...(stdout.count - needle.count)).contains { stdout[$0..<($0 + needle.count)].elementsEqual(needle) }
                #expect(listed, "\(Self.run.context(iteration)): \(answer.head) not listed for \(branch)")
            case .failure(let error)?: #expect(error is GitError, "\(Self.run.context(iteration)): \(error)")
            case nil: Issue.record("\(Self.run.context(iteration)): the check did not end")
            }
        }
    }
}
