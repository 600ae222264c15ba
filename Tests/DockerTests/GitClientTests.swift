import Foundation
import Testing

@testable import Docker

/// A bare repository with commits, made with the real git.
struct GitFixture {
    let dir: String
    var bare: String { dir + "/remote.git" }
    var work: String { dir + "/work" }

    init() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("git-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        try sh("git init -q -b main \(work) && git init -q --bare -b main \(bare)")
        try commit("a.txt", "one")
    }

    func sh(_ script: String) throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/sh")
        p.arguments = ["-c", script]
        p.environment = [
            "PATH": "/usr/bin:/bin", "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.invalid",
            "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.invalid", "HOME": dir,
        ]
        try p.run()
        p.waitUntilExit()
        if p.terminationStatus != 0 { throw ProcessError.launchFailed(command: [script], message: "exit \(p.terminationStatus)") }
    }

    @discardableResult
    func commit(_ file: String, _ content: String) throws -> String {
        try content.write(toFile: work + "/" + file, atomically: true, encoding: .utf8)
        try sh("cd \(work) && git add -A && git commit -qm '\(content)' && git push -q \(bare) main")
        try sh("cd \(work) && git rev-parse HEAD > \(dir)/head")
        return try String(contentsOfFile: dir + "/head", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    func remove() { try? FileManager.default.removeItem(atPath: dir) }
}

/// Both executors: the local subprocess and a worker container of the locally built image
/// (scripts/build-git-image.sh; `STEVEDORE_GIT_IMAGE` overrides).
enum Executors {
    static let image = ProcessInfo.processInfo.environment["STEVEDORE_GIT_IMAGE"] ?? "stevedore/git:latest"
    static func make(_ mode: GitMode) -> any GitExecutor {
        switch mode {
        case .local: LocalGitExecutor()
        case .worker: GitWorkerExecutor(docker: DockerEngine(), image: image, extraLabels: ["com.stevedore.test": "git-client"])
        }
    }
}

@Suite struct GitClientTests {
    func access(_ fixture: GitFixture) throws -> GitAccess {
        let ssh = fixture.dir + "/ssh"
        try FileManager.default.createDirectory(atPath: ssh, withIntermediateDirectories: true)
        return GitAccess(deployment: "gitclient", agentDirectory: nil, sshDirectory: ssh)
    }

    @Test(arguments: GitMode.allCases)
    func remoteHeadCloneAndUpdateFollowTheBranch(mode: GitMode) async throws {
        let fixture = try GitFixture()
        defer { fixture.remove() }
        let git = GitClient(executor: Executors.make(mode), timeout: .seconds(120))
        let access = try access(fixture)
        let first = try await git.remoteHead(url: fixture.bare, branch: "main", access: access)
        let checkout = fixture.dir + "/checkout"
        #expect(try await git.clone(url: fixture.bare, branch: "main", into: checkout, access: access) == first)
        #expect(FileManager.default.fileExists(atPath: checkout + "/a.txt"))
        #expect(git.localHead(directory: checkout) == first)
        // No temporary clone directory is left next to the checkout.
        let siblings = try FileManager.default.contentsOfDirectory(atPath: fixture.dir)
        #expect(!siblings.contains { $0.hasPrefix("checkout.clone-") }, "\(siblings)")

        let second = try fixture.commit("b.txt", "two")
        #expect(try await git.remoteHead(url: fixture.bare, branch: "main", access: access) == second)
        #expect(git.localHead(directory: checkout) == first, "a check must not touch the checkout")
        // Untracked files go with clean, stay without it.
        FileManager.default.createFile(atPath: checkout + "/junk", contents: Data())
        #expect(try await git.update(url: fixture.bare, branch: "main", directory: checkout, clean: false, access: access) == second)
        #expect(FileManager.default.fileExists(atPath: checkout + "/junk"))
        let third = try fixture.commit("c.txt", "three")
        #expect(try await git.update(url: fixture.bare, branch: "main", directory: checkout, clean: true, access: access) == third)
        #expect(!FileManager.default.fileExists(atPath: checkout + "/junk"))
        #expect(git.localHead(directory: checkout) == third)
        // Restore goes back without the network; the file of the later commit is gone.
        #expect(try await git.restore(commit: first, directory: checkout, clean: true, access: access) == first)
        #expect(!FileManager.default.fileExists(atPath: checkout + "/c.txt"))
        #expect(git.localHead(directory: checkout) == first)
    }

    @Test(arguments: GitMode.allCases)
    func shallowFetchCheckSeesTheSameCommit(mode: GitMode) async throws {
        let fixture = try GitFixture()
        defer { fixture.remove() }
        let head = try fixture.commit("b.txt", "two")
        let git = GitClient(executor: Executors.make(mode), timeout: .seconds(120), checkMethod: .shallowFetch)
        #expect(try await git.remoteHead(url: "file://" + fixture.bare, branch: "main", access: try access(fixture)) == head)
    }

    /// A failed or timed-out shallow-fetch check left its temporary repository behind (local
    /// mode: the script's own cleanup never ran when it was killed).
    @Test func shallowFetchScratchIsRemovedOnFailureAndTimeout() async throws {
        let fixture = try GitFixture()
        defer { fixture.remove() }
        let scratch = fixture.dir + "/probe"
        let git = GitClient(executor: LocalGitExecutor(), timeout: .seconds(60), checkMethod: .shallowFetch)
        await #expect(throws: GitError.branchNotFound(url: fixture.bare, branch: "nope")) {
            try await git.remoteHead(url: fixture.bare, branch: "nope", access: try access(fixture), scratch: scratch)
        }
        #expect(!FileManager.default.fileExists(atPath: scratch))
        // A remote that never answers: the run is killed at the timeout, the scratch goes too.
        let silent = try SilentListener()
        defer { silent.close() }
        let slow = GitClient(executor: LocalGitExecutor(), timeout: .seconds(2), checkMethod: .shallowFetch)
        await #expect(throws: GitError.self) {
            try await slow.remoteHead(
                url: "ssh://git@127.0.0.1:\(silent.port)/r.git", branch: "main",
                access: try access(fixture), scratch: scratch)
        }
        #expect(!FileManager.default.fileExists(atPath: scratch))
    }

    @Test(arguments: GitMode.allCases)
    func missingBranchIsNamed(mode: GitMode) async throws {
        let fixture = try GitFixture()
        defer { fixture.remove() }
        let git = GitClient(executor: Executors.make(mode), timeout: .seconds(120))
        let access = try access(fixture)
        await #expect(throws: GitError.branchNotFound(url: fixture.bare, branch: "nope")) {
            try await git.remoteHead(url: fixture.bare, branch: "nope", access: access)
        }
        await #expect(throws: GitError.branchNotFound(url: fixture.bare, branch: "nope")) {
            try await git.clone(url: fixture.bare, branch: "nope", into: fixture.dir + "/c", access: access)
        }
        #expect(!FileManager.default.fileExists(atPath: fixture.dir + "/c"))
    }

    @Test(arguments: GitMode.allCases)
    func hostileArgumentsStayArguments(mode: GitMode) async throws {
        let fixture = try GitFixture()
        defer { fixture.remove() }
        let git = GitClient(executor: Executors.make(mode), timeout: .seconds(120))
        let marker = fixture.dir + "/pwned"
        // A branch and URL full of shell syntax reach git as plain arguments.
        await #expect(throws: GitError.self) {
            try await git.remoteHead(
                url: "/nonexistent/repo.git; touch \(marker)", branch: "$(touch \(marker))", access: try access(fixture))
        }
        #expect(!FileManager.default.fileExists(atPath: marker))
    }

    @Test func workerTimeoutKillsAndRemovesTheContainer() async throws {
        let fixture = try GitFixture()
        defer { fixture.remove() }
        // A "remote" whose ssh command never answers: GIT_SSH_COMMAND is ours, so use a URL
        // that makes git wait on a listening socket that never speaks.
        let silent = try SilentListener()
        defer { silent.close() }
        let port = silent.port
        let executor = GitWorkerExecutor(
            docker: DockerEngine(), image: Executors.image, extraLabels: ["com.stevedore.test": "timeout-\(port)"])
        let git = GitClient(executor: executor, timeout: .seconds(3))
        await #expect(throws: GitError.timedOut(operation: "ls-remote", seconds: 3)) {
            try await git.remoteHead(url: "ssh://git@127.0.0.1:\(port)/repo.git", branch: "main", access: try access(fixture))
        }
        let left = try await DockerEngine().containers(labels: ["com.stevedore.test=timeout-\(port)"])
        #expect(left.isEmpty, "worker containers left after the timeout: \(left.map(\.names))")
    }

    /// A worker cancelled while the engine was creating it stayed behind in `created` state
    /// (its id never arrived). Cancels at many points of the run; none may leave a container.
    @Test func cancelledWorkersLeaveNoContainer() async throws {
        let fixture = try GitFixture()
        defer { fixture.remove() }
        let label = "cancel-\(UUID().uuidString.prefix(8))"
        let executor = GitWorkerExecutor(docker: DockerEngine(), image: Executors.image, extraLabels: ["com.stevedore.test": label])
        try await executor.ensureImage()
        let git = GitClient(executor: executor, timeout: .seconds(60))
        let access = try access(fixture)
        for step in 0..<25 {
            let run = Task { try await git.remoteHead(url: fixture.bare, branch: "main", access: access) }
            // Spread the cancellation over create, start and wait (a few ms each here). Timing
            // only varies where the cancellation lands; the assertion holds for every landing.
            try await Task.sleep(for: .milliseconds(step * 2))
            run.cancel()
            _ = try? await run.value
        }
        let left = try await DockerEngine().containers(labels: ["com.stevedore.test=\(label)"])
        #expect(left.isEmpty, "containers left by cancelled workers: \(left.map(\.names))")
    }

    @Test func headIsReadFromPackedRefsToo() async throws {
        let fixture = try GitFixture()
        defer { fixture.remove() }
        let head = try fixture.commit("b.txt", "two")
        #expect(GitHead.read(directory: fixture.work) == head)
        try fixture.sh("cd \(fixture.work) && git pack-refs --all")
        #expect(!FileManager.default.fileExists(atPath: fixture.work + "/.git/refs/heads/main"))
        #expect(GitHead.read(directory: fixture.work) == head)
        #expect(GitHead.read(directory: fixture.dir) == nil)
    }
}

/// A daemon killed with SIGKILL left its local git runs behind; the next start kills them.
@Suite struct LocalLeftoverTests {
    @Test func leftoverLocalRunsOfThisRootAreKilled() async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("leftover-\(UUID().uuidString.prefix(8))").path
        func spawn(root: String) throws -> Process {
            let process = Process()
            // Foundation starts the child in a process group of its own, as ProcessRunner does.
            process.executableURL = URL(fileURLWithPath: "/bin/sh")
            // `( … )` forks a subshell with the same command line in the same group, as the
            // real script's `$( … )` does: the group must be reported (and killed) once.
            // (Found flaky in a full run: a fork caught before its exec was counted twice.)
            process.arguments = ["-c", "(sleep 120; true); true", GitScript.name, "ls-remote"]
            process.environment = [
                "GIT_SSH_COMMAND": GitAccess.sshCommand(sshDirectory: root + "/deployments/app/ssh"), "PATH": "/usr/bin:/bin",
            ]
            // Not the test runner's output: a `sleep` left running would hold it open.
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            return process
        }
        let ours = try spawn(root: root)
        let other = try spawn(root: root + "-other")
        // The whole group: the shell's `sleep` child too.
        defer {
            kill(-other.processIdentifier, SIGKILL)
            other.waitUntilExit()
        }
        #expect(getpgid(ours.processIdentifier) != getpgrp())
        let killed = LocalGitExecutor.killLeftovers(root: root)
        #expect(killed == [ours.processIdentifier])
        ours.waitUntilExit()
        #expect(ours.terminationReason == .uncaughtSignal)
        #expect(other.isRunning, "a run of another state root must not be touched")
    }
}

/// A TCP listener on 127.0.0.1 that accepts connections (in the kernel's backlog) and never
/// says a word: a remote that hangs.
struct SilentListener {
    let fd: Int32
    let port: UInt16

    init() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        self.fd = fd
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard bound, listen(fd, 8) == 0 else { throw GitError.commandFailed("cannot listen on 127.0.0.1") }
        port = UInt16(bigEndian: address.sin_port)
    }

    func close() { _ = Glibc.close(fd) }
}
