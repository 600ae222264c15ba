import Foundation
import Testing

@testable import Docker

/// A real `git http-backend` on 127.0.0.1 (Fixtures/git-http/serve.py, a CGI bridge), serving
/// the repositories under `root`; its request log tells which requests came, with which
/// `Git-Protocol` header, from which client port.
final class GitHTTPServer {
    let process: Process
    let port: Int
    let logFile: String

    /// - Parameter options: `--v0` (the header does not reach http-backend), `--auth U:P`.
    init(root: String, options: [String] = []) throws {
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/git-http/serve.py").path
        logFile = root + "/requests-\(UUID().uuidString.prefix(8)).log"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", script, root, "--log", logFile] + options
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        var line: [UInt8] = []
        while !line.contains(0x0A) {
            let data = out.fileHandleForReading.availableData
            guard !data.isEmpty else { break }
            line += data
        }
        guard let port = Int(String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)) else {
            process.terminate()
            throw GitError.commandFailed("serve.py printed no port: \(String(decoding: line, as: UTF8.self))")
        }
        self.process = process
        self.port = port
    }

    var base: String { "http://127.0.0.1:\(port)" }

    /// The requests so far: `METHOD PATH CLIENT_PORT GIT_PROTOCOL`.
    var requests: [[String]] {
        ((try? String(contentsOfFile: logFile, encoding: .utf8)) ?? "").split(separator: "\n").map {
            $0.split(separator: " ").map(String.init)
        }
    }

    /// Kills the server (SIGKILL: a signal mask inherited from the test runner cannot stop it).
    func stop() {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }
}

extension GitFixture {
    /// A fixture over repositories made by the test itself under `dir` (`work`, `remote.git`).
    init(existing dir: String) { self.dir = dir }
}

/// In-process smart HTTP ref discovery (``GitHTTPRefs``) against a real `git http-backend`:
/// protocol v2 (`ls-refs`) and v0, SHA-1 and SHA-256, a missing branch and repository,
/// authentication, redirects, thousands of refs, connection reuse, a server that never
/// answers or answers forever, and the fallback to `git ls-remote` for a dumb server.
@Suite struct GitHTTPRefsTests {
    static let refs = GitHTTPRefs(client: GitHTTPRefs.sharedClient)

    func head(_ url: String, _ branch: String = "main", refs: GitHTTPRefs = Self.refs, timeout: Duration = .seconds(30)) async throws
        -> String
    {
        try await refs.head(url: url, branch: branch, deployment: "web", timeout: timeout)
    }

    @Test func protocolV2AsksLsRefsAndReadsTheHead() async throws {
        let fixture = try GitFixture()
        defer { fixture.remove() }
        let server = try GitHTTPServer(root: fixture.dir)
        defer { server.stop() }
        let first = try fixture.commit("b.txt", "two")
        #expect(try await head(server.base + "/remote.git") == first)
        let requests = server.requests
        #expect(
            requests.map { [$0[0], $0[1], $0[3]] } == [
                ["GET", "/remote.git/info/refs", "version=2"], ["POST", "/remote.git/git-upload-pack", "version=2"],
            ])
        // A new commit is seen by the next check; a trailing slash is the same remote.
        let second = try fixture.commit("c.txt", "three")
        #expect(try await head(server.base + "/remote.git/") == second)
    }

    @Test func protocolV0AdvertisementIsReadWhenTheServerIgnoresTheHeader() async throws {
        let fixture = try GitFixture()
        defer { fixture.remove() }
        let server = try GitHTTPServer(root: fixture.dir, options: ["--v0"])
        defer { server.stop() }
        let commit = try fixture.commit("b.txt", "two")
        #expect(try await head(server.base + "/remote.git") == commit)
        #expect(server.requests.map(\.[0]) == ["GET"], "a v0 server's advertisement has the refs: no POST")
    }

    @Test(arguments: [false, true])
    func sha256Repository(v0: Bool) async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("git-sha256-\(UUID().uuidString.prefix(8))").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let fixture = GitFixture(existing: dir)
        try fixture.sh(
            "git init -q --object-format=sha256 -b main \(dir)/work && git init -q --bare --object-format=sha256 -b main \(dir)/remote.git")
        let commit = try fixture.commit("a.txt", "one")
        #expect(commit.count == 64)
        let server = try GitHTTPServer(root: dir, options: v0 ? ["--v0"] : [])
        defer { server.stop() }
        #expect(try await head(server.base + "/remote.git") == commit)
    }

    @Test(arguments: [false, true])
    func missingBranchIsBranchNotFound(v0: Bool) async throws {
        let fixture = try GitFixture()
        defer { fixture.remove() }
        let server = try GitHTTPServer(root: fixture.dir, options: v0 ? ["--v0"] : [])
        defer { server.stop() }
        // `main-old` shares the prefix: only the exact ref counts.
        try fixture.sh("git -C \(fixture.bare) branch main-old main")
        let url = server.base + "/remote.git"
        await #expect(throws: GitError.branchNotFound(url: url, branch: "mai")) { try await head(url, "mai") }
        await #expect(throws: GitError.branchNotFound(url: url, branch: "nope")) { try await head(url, "nope") }
        // A name git refuses is asked of nobody: no remote has it.
        await #expect(throws: GitError.branchNotFound(url: url, branch: "a..b")) { try await head(url, "a..b") }
    }

    @Test func missingRepositoryIsNamed() async throws {
        let fixture = try GitFixture()
        defer { fixture.remove() }
        let server = try GitHTTPServer(root: fixture.dir)
        defer { server.stop() }
        let url = server.base + "/nope.git"
        await #expect(throws: GitError.commandFailed("git ls-remote failed: repository '\(url)' not found (HTTP 404)")) {
            try await head(url)
        }
    }

    @Test func credentialsOfTheURLAuthenticateAndAreNeverShown() async throws {
        let fixture = try GitFixture()
        defer { fixture.remove() }
        let server = try GitHTTPServer(root: fixture.dir, options: ["--auth", "ci:s3cr%t"])
        defer { server.stop() }
        let commit = try fixture.commit("b.txt", "two")
        let plain = "http://127.0.0.1:\(server.port)/remote.git"
        // Percent-encoded in the URL, as git decodes it.
        #expect(try await head("http://ci:s3cr%25t@127.0.0.1:\(server.port)/remote.git") == commit)
        // Reported by the trial of issue 14: a 401 gave deploy-key advice, which HTTP never uses.
        await #expect(throws: GitHTTPExchange.authenticationFailed(url: plain, status: 401)) { try await head(plain) }
        do {
            _ = try await head(plain)
        } catch {
            #expect("\(error)".contains("Authentication failed for '\(plain)' (HTTP 401)"), "\(error)")
            #expect(!"\(error)".contains("repo key"), "\(error)")
        }
        do {
            _ = try await head("http://ci:wrong-token@127.0.0.1:\(server.port)/remote.git")
            Issue.record("a wrong token was accepted")
        } catch let error as GitError {
            #expect(error == GitHTTPExchange.authenticationFailed(url: plain, status: 401))
            #expect(!"\(error)".contains("wrong-token"))
        }
        // The branch error of an authenticated remote shows the URL without the token, and so
        // does `git ls-remote`'s.
        await #expect(throws: GitError.branchNotFound(url: plain, branch: "nope")) {
            try await head("http://ci:s3cr%25t@127.0.0.1:\(server.port)/remote.git", "nope")
        }
        let ssh = fixture.dir + "/ssh"
        try FileManager.default.createDirectory(atPath: ssh, withIntermediateDirectories: true)
        let lsRemote = GitClient(executor: LocalGitExecutor(), timeout: .seconds(60))
        await #expect(throws: GitError.branchNotFound(url: plain, branch: "nope")) {
            try await lsRemote.remoteHead(
                url: "http://ci:s3cr%25t@127.0.0.1:\(server.port)/remote.git", branch: "nope",
                access: GitAccess(deployment: "web", agentDirectory: nil, sshDirectory: ssh))
        }
    }

    @Test func redirectsAreFollowedToTheNewBase() async throws {
        let fixture = try GitFixture()
        defer { fixture.remove() }
        let server = try GitHTTPServer(root: fixture.dir)
        defer { server.stop() }
        let commit = try fixture.commit("b.txt", "two")
        #expect(try await head(server.base + "/_redirect/remote.git") == commit)
        #expect(server.requests.map(\.[1]) == ["/_redirect/remote.git/info/refs", "/remote.git/info/refs", "/remote.git/git-upload-pack"])
    }

    /// 3,000 branches and 1,000 tags: v2 asks for one ref and the answer has one line; v0's
    /// advertisement has them all and is read as it streams.
    @Test(arguments: [false, true])
    func thousandsOfRefs(v0: Bool) async throws {
        let fixture = try GitFixture()
        defer { fixture.remove() }
        let commit = try fixture.commit("b.txt", "two")
        let lines =
            (0..<3000).map { "create refs/heads/feature/\($0) \(commit)" } + (0..<1000).map { "create refs/tags/v\($0) \(commit)" }
        try (lines.joined(separator: "\n") + "\n").write(toFile: fixture.dir + "/refs.txt", atomically: true, encoding: .utf8)
        try fixture.sh("git -C \(fixture.bare) update-ref --stdin < \(fixture.dir)/refs.txt && git -C \(fixture.bare) pack-refs --all")
        let server = try GitHTTPServer(root: fixture.dir, options: v0 ? ["--v0"] : [])
        defer { server.stop() }
        #expect(try await head(server.base + "/remote.git") == commit)
        #expect(try await head(server.base + "/remote.git", "feature/2999") == commit)
        await #expect(throws: GitError.branchNotFound(url: server.base + "/remote.git", branch: "feature/3000")) {
            try await head(server.base + "/remote.git", "feature/3000")
        }
    }

    /// The GET and the POST of a check, and the next check, go over one connection.
    @Test func theConnectionIsReusedBetweenChecks() async throws {
        let fixture = try GitFixture()
        defer { fixture.remove() }
        let server = try GitHTTPServer(root: fixture.dir)
        defer { server.stop() }
        // The shared client: other tests' servers are other origins, with connections of their own.
        for _ in 0..<3 { _ = try await head(server.base + "/remote.git") }
        let ports = Set(server.requests.map(\.[2]))
        #expect(server.requests.count == 6)
        #expect(ports.count == 1, "client ports: \(ports)")
    }

    @Test func aServerThatNeverAnswersEndsAtTheTimeout() async throws {
        let fixture = try GitFixture()
        defer { fixture.remove() }
        let server = try GitHTTPServer(root: fixture.dir)
        defer { server.stop() }
        // The HTTP request is read, and no status line ever comes.
        await #expect(throws: GitError.timedOut(operation: "ls-remote", seconds: 2)) {
            try await head(server.base + "/_silent/remote.git", timeout: .seconds(2))
        }
        // The TCP connection is accepted (in the backlog), and nothing is ever read or said.
        let silent = try SilentListener()
        defer { silent.close() }
        await #expect(throws: GitError.timedOut(operation: "ls-remote", seconds: 2)) {
            try await head("http://127.0.0.1:\(silent.port)/remote.git", timeout: .seconds(2))
        }
    }

    @Test func aServerThatAnswersForeverEndsAtTheTimeoutOrTheLimit() async throws {
        let fixture = try GitFixture()
        defer { fixture.remove() }
        let server = try GitHTTPServer(root: fixture.dir)
        defer { server.stop() }
        // One valid ref packet a second, forever: the timeout ends it.
        await #expect(throws: GitError.timedOut(operation: "ls-remote", seconds: 2)) {
            try await head(server.base + "/_trickle/remote.git", timeout: .seconds(2))
        }
        // Valid ref packets as fast as they go: the response limit ends it.
        let limited = GitHTTPRefs(client: GitHTTPRefs.sharedClient, responseLimit: 1 << 20)
        let url = server.base + "/_forever/remote.git"
        await #expect(
            throws: GitError.commandFailed("git ls-remote of \(url) failed: \(GitProtocolError.responseTooLarge(limit: 1 << 20))")
        ) {
            try await head(url, refs: limited, timeout: .seconds(60))
        }
    }

    @Test func noServerIsUnreachable() async throws {
        // A port that was just free: nothing listens there.
        let silent = try SilentListener()
        let port = silent.port
        silent.close()
        let url = "http://127.0.0.1:\(port)/remote.git"
        await #expect(throws: GitError.unreachable(url: url, detail: "Failed to connect to 127.0.0.1 port \(port): Connection refused")) {
            try await head(url)
        }
        // A name that does not resolve (`.invalid` never does, RFC 2606).
        do {
            _ = try await head("https://git.nowhere.invalid/o/r.git", timeout: .seconds(20))
            Issue.record("a name that does not resolve answered")
        } catch let error as GitError {
            guard case .unreachable(let shown, let detail) = error else {
                Issue.record("not unreachable: \(error)")
                return
            }
            #expect(shown == "https://git.nowhere.invalid/o/r.git")
            #expect(detail.contains("git.nowhere.invalid"), "\(detail)")
        }
    }

    /// A dumb HTTP server is not asked in-process: ``GitClient`` asks `git ls-remote`, which
    /// reads its `info/refs`.
    @Test func aDumbServerFallsBackToLsRemote() async throws {
        let fixture = try GitFixture()
        defer { fixture.remove() }
        let server = try GitHTTPServer(root: fixture.dir)
        defer { server.stop() }
        let url = server.base + "/_dumb/remote.git"
        await #expect(throws: GitRefDiscovery.Unsupported.self) { try await head(url) }
        let ssh = fixture.dir + "/ssh"
        try FileManager.default.createDirectory(atPath: ssh, withIntermediateDirectories: true)
        let git = GitClient(
            executor: LocalGitExecutor(), timeout: .seconds(60), checkMethod: .inProcess,
            discovery: GitRefDiscovery(eventLoopGroup: GitHTTPRefs.sharedClient.eventLoopGroup, httpClient: GitHTTPRefs.sharedClient))
        let access = GitAccess(deployment: "web", agentDirectory: nil, sshDirectory: ssh)
        #expect(try await git.remoteHead(url: url, branch: "main", access: access) == "45acf4c7ba6a660f44a72c1668cc81f833c1e15b")
    }
}
