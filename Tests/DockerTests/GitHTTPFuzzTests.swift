import Foundation
import SeededRandom
import Testing

@testable import Docker

/// Seeded randomized tests of what the in-process HTTP check reads from a hostile server or
/// a hostile configuration: ``GitHTTPExchange`` (statuses, `Content-Type`s and bodies of both
/// answers, in pieces of any size; Fixtures/corpus/git-protocol holds real `git http-backend`
/// answers) and ``GitHTTPRemote`` / ``GitURL/redacted(_:)`` (URLs with credentials). Nothing
/// may trap; an exchange ends in a commit or a ``GitError`` (or ``GitRefDiscovery/Unsupported``
/// for a dumb server), exactly as the whole-answer readers decide; a credential never shows.
@Suite struct GitHTTPFuzzTests {
    static let run = FuzzRun("GitHTTPFuzzTests")
    static let corpus = FuzzCorpus.load("git-protocol").map(\.bytes)
    static let url = "http://127.0.0.1:1/remote.git"
    static let branches = ["main", "main-old", "alias", "feature/x", "mai", "é"]
    static let types: [String?] = [
        GitHTTPExchange.advertisementType, GitHTTPExchange.resultType, "APPLICATION/X-GIT-UPLOAD-PACK-ADVERTISEMENT; charset=x",
        " application/x-git-upload-pack-result ;q=1", "text/plain", "text/html; charset=utf-8", nil, "", ";", "\u{0}\u{FFFF}",
    ]
    static let tokens: [[UInt8]] = [
        "0000", "0001", "0002", "fff0", "version 2\n", "# service=git-upload-pack\n", "ERR ", "ls-refs", "object-format=sha256",
        "refs/heads/main", "45acf4c7ba6a660f44a72c1668cc81f833c1e15b", "unborn", "symref-target:", "peeled:", "agent=git/2.39.5\n",
    ].map { Array($0.utf8) }

    static func body(_ rng: inout SplitMix) -> [UInt8] {
        let seed = corpus.randomElement(using: &rng)!
        switch Int.random(in: 0..<6, using: &rng) {
        case 0: return seed
        case 1: return FuzzMutator.randomBytes(Int.random(in: 0...200, using: &rng), &rng)
        default:
            let window = seed.count > 2048 ? Array(seed.prefix(Int.random(in: 1...2048, using: &rng))) : seed
            return FuzzMutator.mutate(window, &rng, others: corpus, tokens: tokens)
        }
    }

    /// What the whole-answer readers make of an answer: the step the exchange must take, or
    /// the error it must throw.
    static func referenceAdvertisement(_ bytes: [UInt8], branch: String) -> Result<GitHTTPExchange.Step, GitError> {
        do {
            switch try GitServerAdvertisement.Reader.read(bytes, branch: branch, smartHTTP: true) {
            case .version0(let refs):
                guard let head = refs.head else { return .failure(.branchNotFound(url: url, branch: branch)) }
                return .success(.head(head))
            case .version2(let capabilities):
                guard capabilities.offers("ls-refs") else {
                    return .failure(.commandFailed("git ls-remote of \(url) failed: the protocol v2 server does not offer ls-refs"))
                }
                let agent = capabilities.offers("agent") ? GitHTTPExchange.agent : nil
                return .success(
                    .lsRefs(request: try GitLsRefs.request(branch: branch, agent: agent, objectFormat: capabilities.objectFormat)))
            }
        } catch {
            return .failure(.commandFailed("git ls-remote of \(url) failed: \(error)"))
        }
    }

    static func referenceLsRefs(_ bytes: [UInt8], branch: String, format: GitObjectFormat) -> Result<GitHTTPExchange.Step, GitError> {
        do {
            guard let head = try GitLsRefs.Reader.head(in: bytes, branch: branch, objectFormat: format) else {
                return .failure(.branchNotFound(url: url, branch: branch))
            }
            return .success(.head(head))
        } catch {
            return .failure(.commandFailed("git ls-remote of \(url) failed: \(error)"))
        }
    }

    /// Feeds `bytes` in random pieces and ends the answer.
    static func answer(_ exchange: inout GitHTTPExchange, _ bytes: [UInt8], _ rng: inout SplitMix) -> Result<GitHTTPExchange.Step, GitError>
    {
        do {
            var at = 0
            for size in FuzzMutator.pieces(bytes.count, &rng) {
                try exchange.body(bytes[at..<(at + size)])
                at += size
            }
            return .success(try exchange.end())
        } catch let error as GitError {
            return .failure(error)
        } catch {
            Issue.record("not a GitError: \(error)")
            return .failure(.commandFailed("?"))
        }
    }

    @Test("exchange: 200 answers of the right types step exactly as the whole-answer readers decide, in pieces of any size")
    func exchangeEqualsTheReaders() throws {
        var rng = Self.run.generator("exchange")
        for iteration in 0..<Self.run.iterations {
            let branch = Self.branches.randomElement(using: &rng)!
            var exchange = try GitHTTPExchange(url: Self.url, branch: branch, deployment: "web")
            let first = Self.body(&rng)
            try exchange.response(status: 200, contentType: GitHTTPExchange.advertisementType)
            let got = Self.answer(&exchange, first, &rng)
            let expected = Self.referenceAdvertisement(first, branch: branch)
            #expect(got == expected, "\(Self.run.context(iteration))")
            guard case .success(.lsRefs) = got else {
                #expect(exchange.isDone)
                continue
            }
            let format =
                (try? GitServerAdvertisement.Reader.read(first, branch: branch, smartHTTP: true)).flatMap { advertisement in
                    if case .version2(let capabilities) = advertisement { return capabilities.objectFormat }
                    return nil
                } ?? .sha1
            let second = Self.body(&rng)
            try exchange.response(status: 200, contentType: GitHTTPExchange.resultType)
            #expect(
                Self.answer(&exchange, second, &rng) == Self.referenceLsRefs(second, branch: branch, format: format),
                "\(Self.run.context(iteration))")
            #expect(exchange.isDone)
        }
    }

    @Test("exchange: any statuses, types and bodies, in any order of calls, end in a commit or a GitError")
    func exchangeOnHostileAnswers() throws {
        var rng = Self.run.generator("hostile")
        let statuses = [200, 200, 200, 200, 401, 403, 404, 500, 302, 0, -1, 999, Int.max, Int.min]
        for iteration in 0..<Self.run.iterations {
            let branch = Self.branches.randomElement(using: &rng)!
            var exchange = try GitHTTPExchange(
                url: Self.url, branch: branch, deployment: "web", responseLimit: Int.random(in: 0...4096, using: &rng))
            var steps = 0
            do {
                // Calls in the right order mostly, out of turn sometimes.
                while steps < 8 {
                    steps += 1
                    switch Int.random(in: 0..<10, using: &rng) {
                    case 0: _ = try exchange.end()
                    case 1: try exchange.body(Self.body(&rng))
                    default:
                        let status = Bool.random(using: &rng) ? 200 : statuses.randomElement(using: &rng)!
                        try exchange.response(status: status, contentType: Self.types.randomElement(using: &rng)!)
                        let body = Self.body(&rng)
                        var at = 0
                        for size in FuzzMutator.pieces(body.count, &rng) {
                            try exchange.body(body[at..<(at + size)])
                            at += size
                        }
                        if case .head(let head) = try exchange.end() {
                            #expect(GitHead.isCommit(head), "\(Self.run.context(iteration))")
                            steps = 8
                        }
                    }
                }
            } catch {
                #expect(error is GitError || error is GitRefDiscovery.Unsupported, "\(Self.run.context(iteration)): \(error)")
                #expect(exchange.isDone, "\(Self.run.context(iteration))")
            }
        }
    }

    @Test("exchange: an advertisement or ls-refs answer that never ends stops at the response limit")
    func exchangeAnswersForever() throws {
        var rng = Self.run.generator("forever")
        let line = try PktLine.line("45acf4c7ba6a660f44a72c1668cc81f833c1e15b refs/heads/feature").encoded()
        for iteration in 0..<(Self.run.iterations / 100) {
            let v2 = Bool.random(using: &rng)
            // A v2 exchange's limit lets its capability advertisement (147 bytes) through.
            let limit = Int.random(in: (v2 ? 256 : 0)...(64 << 10), using: &rng)
            var exchange = try GitHTTPExchange(url: Self.url, branch: "main", deployment: "web", responseLimit: limit)
            if v2 {
                try exchange.response(status: 200, contentType: GitHTTPExchange.advertisementType)
                try exchange.body(Self.corpus.first { $0.starts(with: "000eversion 2".utf8) }!)
                guard case .lsRefs = try exchange.end() else {
                    Issue.record("a v2 advertisement did not lead to ls-refs")
                    continue
                }
                try exchange.response(status: 200, contentType: GitHTTPExchange.resultType)
            } else {
                try exchange.response(status: 200, contentType: GitHTTPExchange.advertisementType)
            }
            var sent = 0
            var outcome: (any Error)?
            while outcome == nil, sent <= limit + line.count {
                do { try exchange.body(line) } catch { outcome = error }
                sent += line.count
            }
            #expect(
                outcome as? GitError
                    == .commandFailed("git ls-remote of \(Self.url) failed: \(GitProtocolError.responseTooLarge(limit: limit))"),
                "\(Self.run.context(iteration)): \(String(describing: outcome))")
        }
    }

    @Test("URLs: any http(s) URL parses or is refused with a GitError; no credential is ever in the base or a message")
    func remoteURLs() {
        var rng = Self.run.generator("urls")
        let seeds = [
            "https://user:token@git.example.org/o/r.git", "http://127.0.0.1:8080/r.git/", "https://[::1]:443/r", "https://tok@h/",
            "http://u:p%41ss@h:1/a/b", "https://h", "git://h/r", "ssh://git@h:22/r.git", "https://a@b@c/r", "http://[::1/r",
        ].map { Array($0.utf8) }
        let tokens = ["@", ":", "%", "%4", "%zz", "[", "]", "/", "?", "#", " ", "\u{0}", "https://", "http://", ":65536", ":0"].map {
            Array($0.utf8)
        }
        for iteration in 0..<Self.run.iterations {
            let password = "pw" + String(UInt32.random(in: 0 ... .max, using: &rng), radix: 36) + "Z"
            let base = FuzzMutator.mutate(seeds.randomElement(using: &rng)!, &rng, others: seeds, tokens: tokens)
            let text = String(decoding: base, as: UTF8.self)
            // Credentials put in the user info of a URL that has a scheme.
            let url = text.replacingOccurrences(of: "://", with: "://user:\(password)@", options: [], range: text.range(of: "://"))
            let redacted = GitURL.redacted(url)
            let hadUserInfo = url.range(of: "://").map { url[$0.upperBound...].prefix { $0 != "/" }.contains("@") } ?? false
            if hadUserInfo { #expect(!redacted.contains(password), "\(Self.run.context(iteration)): \(redacted)") }
            do {
                let remote = try GitHTTPRemote(url: url)
                #expect(!remote.base.contains(password) && !remote.host.contains("@"), "\(Self.run.context(iteration)): \(remote.base)")
                #expect(remote.infoRefsURL.hasSuffix("/info/refs?service=git-upload-pack"))
                #expect(remote.port.map { (1...65535).contains($0) } ?? true)
                _ = try? remote.redirected(to: String(decoding: FuzzMutator.mutate(base, &rng, tokens: tokens), as: UTF8.self))
            } catch let error as GitError {
                #expect(!"\(error)".contains(password), "\(Self.run.context(iteration)): \(error)")
            } catch {
                Issue.record("\(Self.run.context(iteration)): not a GitError: \(error)")
            }
        }
    }
}
