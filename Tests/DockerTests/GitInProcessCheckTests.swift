import Foundation
import Testing

@testable import Docker

/// An executor that must not be used: it records each run and fails it. With it, a check that
/// answers proves that it started no process and no container.
final class TripwireExecutor: GitExecutor, @unchecked Sendable {
    private let lock = NSLock()
    private var operations: [GitScript.Operation] = []
    var mode: GitMode { .local }
    var runs: [GitScript.Operation] { lock.withLock { operations } }

    func run(_ operation: GitScript.Operation, checkout: String?, access: GitAccess, timeout: Duration) async throws -> GitRunResult {
        lock.withLock { operations.append(operation) }
        return GitRunResult(exitCode: 99, output: "tripwire: the in-process check ran \(operation.arguments[0])")
    }
}

/// ``GitClient/remoteHead(url:branch:access:scratch:sshKeySeed:)`` with
/// ``GitCheckMethod/inProcess``: local repositories are read from their files, with the
/// ``GitError`` cases `git ls-remote` gets (checked against it), and no process is started;
/// URLs not asked in-process go to `git ls-remote`.
@Suite struct GitInProcessCheckTests {
    func access(_ fixture: GitFixture) throws -> GitAccess {
        let ssh = fixture.dir + "/ssh"
        try FileManager.default.createDirectory(atPath: ssh, withIntermediateDirectories: true)
        return GitAccess(deployment: "local", agentDirectory: nil, sshDirectory: ssh)
    }

    @Test func localRepositoriesAreReadWithoutAProcess() async throws {
        let fixture = try GitFixture()
        defer { fixture.remove() }
        let tripwire = TripwireExecutor()
        let git = GitClient(executor: tripwire, checkMethod: .inProcess)
        let access = try access(fixture)
        let head = try fixture.commit("b.txt", "two")
        // Bare, file://, a working tree (`.git` directory), packed refs, a linked worktree (`.git` file).
        #expect(try await git.remoteHead(url: fixture.bare, branch: "main", access: access) == head)
        #expect(try await git.remoteHead(url: "file://" + fixture.bare, branch: "main", access: access) == head)
        #expect(try await git.remoteHead(url: fixture.work, branch: "main", access: access) == head)
        try fixture.sh("git -C \(fixture.bare) pack-refs --all")
        #expect(try await git.remoteHead(url: fixture.bare, branch: "main", access: access) == head)
        try fixture.sh("git -C \(fixture.work) worktree add -q -b side \(fixture.dir)/side")
        #expect(try await git.remoteHead(url: fixture.dir + "/side", branch: "side", access: access) == head)
        #expect(tripwire.runs.isEmpty, "started: \(tripwire.runs)")
    }

    /// The same cases as `git ls-remote` of the same paths (run for real beside it).
    @Test func errorsAreTheCasesOfLsRemote() async throws {
        let fixture = try GitFixture()
        defer { fixture.remove() }
        let access = try access(fixture)
        let inProcess = GitClient(executor: TripwireExecutor(), checkMethod: .inProcess)
        let lsRemote = GitClient(executor: LocalGitExecutor(), timeout: .seconds(60), checkMethod: .lsRemote)
        for git in [inProcess, lsRemote] {
            await #expect(throws: GitError.branchNotFound(url: fixture.bare, branch: "nope")) {
                try await git.remoteHead(url: fixture.bare, branch: "nope", access: access)
            }
        }
        let notARepository = fixture.dir + "/ssh"
        for git in [inProcess, lsRemote] {
            do {
                _ = try await git.remoteHead(url: notARepository, branch: "main", access: access)
                Issue.record("\(git.checkMethod): a directory that is not a repository answered")
            } catch GitError.commandFailed(let message) {
                #expect(message.contains("'\(notARepository)' does not appear to be a git repository"), "\(git.checkMethod): \(message)")
            }
        }
        await #expect(
            throws: GitError.commandFailed(
                "git ls-remote failed: '/nonexistent/repo.git' does not appear to be a git repository (no HEAD in /nonexistent/repo.git)")
        ) {
            try await inProcess.remoteHead(url: "/nonexistent/repo.git", branch: "main", access: access)
        }
    }

    /// `git://` and relative paths are asked by `git ls-remote`; so are remote URLs when the
    /// client has no in-process transports.
    @Test func otherURLsGoToLsRemote() async throws {
        let fixture = try GitFixture()
        defer { fixture.remove() }
        let access = try access(fixture)
        let tripwire = TripwireExecutor()
        let git = GitClient(executor: tripwire, checkMethod: .inProcess)
        for url in ["git://127.0.0.1:1/r.git", "relative/repo.git", "http://127.0.0.1:1/r.git", "git@127.0.0.1:r.git"] {
            await #expect(throws: GitError.self) { try await git.remoteHead(url: url, branch: "main", access: access) }
        }
        #expect(
            tripwire.runs.map(\.arguments) == [
                ["ls-remote", "git://127.0.0.1:1/r.git", "main"], ["ls-remote", "relative/repo.git", "main"],
                ["ls-remote", "http://127.0.0.1:1/r.git", "main"], ["ls-remote", "git@127.0.0.1:r.git", "main"],
            ])
        #expect(git.checkNeedsAgent(url: "git@127.0.0.1:r.git"))
        #expect(!git.checkNeedsAgent(url: fixture.bare))
    }

    @Test func transportsAreChosenByURL() {
        #expect(GitRefDiscovery.transport(of: "/srv/git/app.git") == .local(path: "/srv/git/app.git"))
        #expect(GitRefDiscovery.transport(of: "file:///srv/git/app.git") == .local(path: "/srv/git/app.git"))
        #expect(GitRefDiscovery.transport(of: "ssh://git@host:2222/o/r.git") == .ssh)
        #expect(GitRefDiscovery.transport(of: "git@github.com:o/r.git") == .ssh)
        #expect(GitRefDiscovery.transport(of: "https://user:token@host/o/r.git") == .http)
        #expect(GitRefDiscovery.transport(of: "HTTP://host/o/r.git") == .http)
        #expect(GitRefDiscovery.transport(of: "git://host/o/r.git") == nil)
        #expect(GitRefDiscovery.transport(of: "file://host/srv/r.git") == nil)
        #expect(GitRefDiscovery.transport(of: "relative/r.git") == nil)
    }

    /// An SSH URL without a deploy key is refused with the command that makes one.
    @Test func sshWithoutAKeyIsAClearError() async throws {
        let discovery = GitRefDiscovery(eventLoopGroup: GitHTTPRefs.sharedClient.eventLoopGroup, httpClient: GitHTTPRefs.sharedClient)
        await #expect(
            throws: GitError.commandFailed(
                "'app' has no deploy key, which the SSH remote ssh://git@127.0.0.1:1/r.git needs: `stevedore repo key app` makes and prints one"
            )
        ) {
            try await discovery.head(
                url: "ssh://git@127.0.0.1:1/r.git", branch: "main", deployment: "app", sshKeySeed: nil, knownHostsPath: "/nonexistent",
                timeout: .seconds(5))
        }
    }
}
