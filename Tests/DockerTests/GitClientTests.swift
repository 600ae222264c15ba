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
        p.environment = ["PATH": "/usr/bin:/bin", "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.invalid",
                         "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.invalid", "HOME": dir]
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

@Suite struct GitClientTests {
    @Test func remoteHeadAndSyncFollowTheBranch() async throws {
        let fixture = try GitFixture()
        defer { fixture.remove() }
        let git = GitClient()
        let first = try await git.remoteHead(url: fixture.bare, branch: "main")
        let checkout = fixture.dir + "/checkout"
        #expect(try await git.sync(url: fixture.bare, branch: "main", directory: checkout) == first)
        #expect(FileManager.default.fileExists(atPath: checkout + "/a.txt"))

        let second = try fixture.commit("b.txt", "two")
        #expect(try await git.remoteHead(url: fixture.bare, branch: "main") == second)
        // Untracked files and a stale index.lock from a crash do not stop an update.
        FileManager.default.createFile(atPath: checkout + "/junk", contents: Data())
        FileManager.default.createFile(atPath: checkout + "/.git/index.lock", contents: Data())
        #expect(try await git.sync(url: fixture.bare, branch: "main", directory: checkout) == second)
        #expect(!FileManager.default.fileExists(atPath: checkout + "/junk"))
        #expect(await git.localHead(directory: checkout) == second)
    }

    @Test func missingBranchIsNamed() async throws {
        let fixture = try GitFixture()
        defer { fixture.remove() }
        await #expect(throws: GitError.branchNotFound(url: fixture.bare, branch: "nope")) {
            try await GitClient().remoteHead(url: fixture.bare, branch: "nope")
        }
    }

    @Test func unreachableRemoteFailsWithoutPrompting() async throws {
        await #expect(throws: GitError.self) {
            try await GitClient().remoteHead(url: "/nonexistent/repo.git", branch: "main")
        }
    }
}

extension GitError: Equatable {
    public static func == (a: GitError, b: GitError) -> Bool { a.description == b.description }
}
