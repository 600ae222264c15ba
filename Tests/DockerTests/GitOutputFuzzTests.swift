import Foundation
import SeededRandom
import Testing

@testable import Docker

/// Seeded randomized tests of the readers of git's output: `git ls-remote` (what a remote
/// answers; Fixtures/corpus/git-ls-remote: real output, SHA-1 and SHA-256, `--symref`, tags,
/// a branch whose name ends like another's), the `stevedore-head` lines of the git script
/// (Fixtures/corpus/git-script: real clone, update, shallow-fetch and restore output) and
/// `HEAD`/`packed-refs` of a checkout (Fixtures/corpus/git-dir). Each is compared with a plain
/// reference on mutated and random input; nothing may trap, and only a commit id comes out.
@Suite struct GitOutputFuzzTests {
    static let run = FuzzRun("GitOutputFuzzTests")
    static let lsRemote = FuzzCorpus.load("git-ls-remote").map(\.bytes)
    static let script = FuzzCorpus.load("git-script").map(\.bytes)
    static let gitDir = FuzzCorpus.load("git-dir")
    static let branches = ["main", "feature/x", "release", "x/refs/heads/main", "nothing", "é", "main ", "ma\u{301}in"]
    static let tokens: [[UInt8]] = [
        "\t", "\n", "\r\n", "\r", " ", "refs/heads/", "refs/heads/main", "refs/tags/", "^{}", "HEAD", "ref: ", "stevedore-head ",
        "0000000000000000000000000000000000000000", "e3897d04d3d0a37d1856bde40c34394b5eb511c1", "\u{FF41}", "E3897D04", "#", "^",
    ].map { Array($0.utf8) }

    /// ASCII lower-case hex of 40 or 64 digits, the reference of ``GitHead/isCommit(_:)``.
    static func isCommit(_ bytes: some Collection<UInt8>) -> Bool {
        (bytes.count == 40 || bytes.count == 64) && bytes.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
    }

    /// The reference reader of ls-remote output: lines at LF, fields at TAB, exact ref bytes.
    static func referenceLsRemote(_ bytes: [UInt8], branch: String) -> GitScript.LsRemoteHead {
        let text = Array(String(decoding: bytes, as: UTF8.self).utf8)
        var line: [UInt8] = []
        for byte in text + [0x0A] {
            guard byte == 0x0A else {
                line.append(byte)
                continue
            }
            defer { line = [] }
            guard let tab = line.firstIndex(of: 0x09), !line[(tab + 1)...].contains(0x09) else { continue }
            guard Array(line[(tab + 1)...]) == Array("refs/heads/\(branch)".utf8) else { continue }
            let value = String(decoding: line[..<tab], as: UTF8.self)
            return isCommit(line[..<tab]) ? .commit(value) : .notACommit(value)
        }
        return .absent
    }

    static func input(_ corpus: [[UInt8]], _ rng: inout SplitMix) -> [UInt8] {
        switch Int.random(in: 0..<6, using: &rng) {
        case 0: return FuzzMutator.randomBytes(Int.random(in: 0...200, using: &rng), &rng)
        case 1: return corpus.randomElement(using: &rng)!
        default: return FuzzMutator.mutate(corpus.randomElement(using: &rng)!, &rng, others: corpus, tokens: tokens)
        }
    }

    @Test("the corpus reads as git meant it")
    func corpusReads() {
        let main = Self.lsRemote[
            Self.lsRemote.firstIndex { String(decoding: $0, as: UTF8.self).hasSuffix("refs/heads/x/refs/heads/main\n") }!]
        #expect(
            GitScript.lsRemoteHead(in: String(decoding: main, as: UTF8.self), branch: "main")
                == .commit("e3897d04d3d0a37d1856bde40c34394b5eb511c1"))
        #expect(
            GitScript.lsRemoteHead(in: String(decoding: main, as: UTF8.self), branch: "x/refs/heads/main")
                == .commit("fb8a5aabcde1fa8d7090e6ea3d8463ab69127f30"))
        for output in Self.script where !String(decoding: output, as: UTF8.self).contains("fatal") {
            #expect(GitScript.reportedHead(in: String(decoding: output, as: UTF8.self)) == "e3897d04d3d0a37d1856bde40c34394b5eb511c1")
        }
    }

    @Test("ls-remote output: equals the reference on mutated and random output")
    func lsRemoteOutput() {
        var rng = Self.run.generator("ls-remote")
        for iteration in 0..<Self.run.iterations {
            let bytes = Self.input(Self.lsRemote, &rng)
            let branch = Self.branches.randomElement(using: &rng)!
            let got = GitScript.lsRemoteHead(in: String(decoding: bytes, as: UTF8.self), branch: branch)
            #expect(got == Self.referenceLsRemote(bytes, branch: branch), "\(Self.run.context(iteration)): \(bytes)")
        }
    }

    @Test("script output: only a commit id of a stevedore-head line comes out")
    func scriptOutput() {
        var rng = Self.run.generator("script")
        for iteration in 0..<Self.run.iterations {
            let bytes = Self.input(Self.script, &rng)
            let text = String(decoding: bytes, as: UTF8.self)
            guard let head = GitScript.reportedHead(in: text) else { continue }
            #expect(Self.isCommit(head.utf8), "\(Self.run.context(iteration))")
            #expect(text.utf8.split(separator: 0x0A).contains { $0.starts(with: Array("stevedore-head ".utf8)) })
        }
    }

    @Test("HEAD and packed-refs: any content resolves to a commit id or to nothing")
    func gitDirectoryFiles() {
        var rng = Self.run.generator("git-dir")
        let files = Self.gitDir.map(\.bytes)
        for iteration in 0..<Self.run.iterations {
            let head = Self.input(files, &rng)
            let loose = Bool.random(using: &rng) ? Self.input(files, &rng) : nil
            let packed = Self.input(files, &rng)
            let resolved = GitHead.resolve { name in
                switch name {
                case "HEAD": return String(decoding: head, as: UTF8.self)
                case "packed-refs": return String(decoding: packed, as: UTF8.self)
                default:
                    // Only a ref under refs/ without `..` is ever asked for.
                    #expect(name.hasPrefix("refs/") && !name.contains(".."), "\(Self.run.context(iteration))")
                    return loose.map { String(decoding: $0, as: UTF8.self) }
                }
            }
            if let resolved { #expect(Self.isCommit(resolved.utf8), "\(Self.run.context(iteration))") }
        }
    }

    @Test("full-width hex digits are not a commit id (Character.isHexDigit accepts them)")
    func fullWidthDigitsAreNotACommit() {
        let fullWidth = String(repeating: "\u{FF41}", count: 40)
        #expect(!GitHead.isCommit(fullWidth))
        #expect(GitScript.reportedHead(in: "stevedore-head \(fullWidth)\n") == nil)
        #expect(GitScript.lsRemoteHead(in: "\(fullWidth)\trefs/heads/main\n", branch: "main") == .notACommit(fullWidth))
        #expect(GitHead.resolve { $0 == "HEAD" ? fullWidth : nil } == nil)
    }
}
