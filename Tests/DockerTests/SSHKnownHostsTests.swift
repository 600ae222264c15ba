import Foundation
import SeededRandom
import Testing

@testable import Docker

/// OpenSSH's `known_hosts` rules on real files (Fixtures/corpus/known-hosts: keys made by
/// ssh-keygen; `hashed` is `patterns` after `ssh-keygen -H`).
@Suite struct SSHKnownHostsTests {
    static let files = Dictionary(uniqueKeysWithValues: FuzzCorpus.load("known-hosts").map { ($0.name, $0.bytes) })
    static let plain = SSHKnownHosts(contents: files["patterns"]!)

    /// The key of the first line whose hosts field is `hosts`.
    static func key(_ hosts: String) -> (type: String, blob: [UInt8]) {
        let entry = plain.entries.first { $0.hosts == hosts }!
        return (entry.keyType, entry.key)
    }

    static let ed = key("github.com,140.82.121.4")
    static let ec = key("*.example.com,!bad.example.com")
    static let rsa = key("[git.example.org]:2222")
    static let ec384 = key("gitea.local")

    @Test func linesOpenSSHWouldRead() {
        // Comments, a blank line with a tab and nothing else are skipped; markers kept.
        #expect(Self.plain.entries.count == 7)
        #expect(Self.plain.entries.filter { $0.marker == .revoked }.map(\.hosts) == ["old.example.com"])
        #expect(Self.plain.entries.filter { $0.marker == .certificateAuthority }.map(\.hosts) == ["*.corp.example"])
        #expect(
            SSHKnownHosts(
                contents: Array("h ssh-ed25519 not-base64\nh ssh-foo AAAA\nh ecdsa-sha2-nistp256 \(Self.b64(Self.ed.blob))\n".utf8)
            ).entries.isEmpty)
    }

    static func b64(_ bytes: [UInt8]) -> String { Data(bytes).base64EncodedString() }

    @Test(
        "verdicts: exact key trusted, another key of the type changed, only other types known, negation, case, ports, revoked, CA lines ignored"
    )
    func verdicts() {
        for (name, file) in [("patterns", Self.plain), ("hashed", SSHKnownHosts(contents: Self.files["hashed"]!))] {
            func verdict(_ host: String, _ port: Int, _ key: (type: String, blob: [UInt8])) -> SSHKnownHosts.Verdict {
                file.verdict(host: host, port: port, keyType: key.type, key: key.blob)
            }
            #expect(verdict("github.com", 22, Self.ed) == .trusted, "\(name)")
            #expect(verdict("GitHub.COM", 22, Self.ed) == .trusted, "\(name)")
            #expect(verdict("140.82.121.4", 22, Self.ed) == .trusted, "\(name)")
            #expect(verdict("github.com", 22, Self.ec) == .otherTypesOnly, "\(name)")
            #expect(verdict("github.com", 2222, Self.ed) == .trusted, "\(name): the bare host's key, port 2222")
            #expect(verdict("github.com", 2222, Self.ec) == .unknown, "\(name): the bare host's other key does not refuse")
            #expect(verdict("a.example.com", 22, Self.ec) == .trusted, "\(name)")
            #expect(verdict("bad.example.com", 22, Self.ec) == .unknown, "\(name): negated")
            #expect(verdict("git.example.org", 2222, Self.rsa) == .trusted, "\(name)")
            #expect(verdict("git.example.org", 2222, Self.ed) == .otherTypesOnly, "\(name)")
            #expect(verdict("git.example.org", 22, Self.ed) == .unknown, "\(name)")
            #expect(verdict("gitea.local", 22, Self.ec384) == .trusted, "\(name): a tab separates fields")
            #expect(verdict("old.example.com", 22, Self.rsa) == .revoked, "\(name)")
            #expect(verdict("old.example.com", 22, Self.ed) == .otherTypesOnly, "\(name): the *.example.com line has ec")
            #expect(verdict("old.example.com", 22, Self.ec) == .trusted, "\(name): the *.example.com line")
            #expect(verdict("x.corp.example", 22, Self.ed) == .unknown, "\(name): @cert-authority is not a host key")
            // Reported by the trial of issue 14: only ssh-rsa known (written by ls-remote), the
            // server now offers ed25519 too: not "changed" (OpenSSH would verify the RSA key).
            #expect(verdict("ssh-rsa-only-host", 22, Self.ed) == .otherTypesOnly, "\(name): only another type known")
            #expect(verdict("unknown.host", 22, Self.ed) == .unknown, "\(name)")
            // Another key of the type known: changed (the warning OpenSSH gives).
            var other = Self.ed
            other.blob[other.blob.count - 1] ^= 0xFF
            #expect(verdict("github.com", 22, other) == .changed, "\(name): another ed25519 key")
        }
    }

    @Test func lineAsOpenSSHWritesIt() {
        #expect(
            SSHKnownHosts.line(host: "GitHub.com", port: 22, keyType: Self.ed.type, key: Self.ed.blob)
                == "github.com ssh-ed25519 \(Self.b64(Self.ed.blob))\n")
        #expect(
            SSHKnownHosts.line(host: "::1", port: 2222, keyType: Self.ed.type, key: Self.ed.blob)
                == "[::1]:2222 ssh-ed25519 \(Self.b64(Self.ed.blob))\n")
    }

    @Test("trust on first use: appended after a missing final newline, mode kept; a changed key leaves the file alone")
    func trustOnFirstUse() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kh-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/known_hosts"
        #expect(try SSHKnownHosts.trust(host: "h", port: 2222, keyType: Self.ed.type, key: Self.ed.blob, path: path) == .unknown)
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "[h]:2222 ssh-ed25519 \(Self.b64(Self.ed.blob))\n")
        try "# no newline".write(toFile: path, atomically: true, encoding: .utf8)
        chmod(path, 0o600)
        #expect(try SSHKnownHosts.trust(host: "h", port: 22, keyType: Self.ed.type, key: Self.ed.blob, path: path) == .unknown)
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "# no newline\nh ssh-ed25519 \(Self.b64(Self.ed.blob))\n")
        #expect(try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int == 0o600)
        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        #expect(try SSHKnownHosts.trust(host: "h", port: 22, keyType: Self.ec.type, key: Self.ec.blob, path: path) == .otherTypesOnly)
        var other = Self.ed
        other.blob[other.blob.count - 1] ^= 0xFF
        #expect(try SSHKnownHosts.trust(host: "h", port: 22, keyType: other.type, key: other.blob, path: path) == .changed)
        #expect(try SSHKnownHosts.trust(host: "h", port: 22, keyType: Self.ed.type, key: Self.ed.blob, path: path) == .trusted)
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["known_hosts"], "no temporary file left")
        #expect(throws: GitError.self) {
            try SSHKnownHosts.trust(host: "h", port: 22, keyType: Self.ed.type, key: Self.ed.blob, path: dir + "/missing/known_hosts")
        }
    }
}
