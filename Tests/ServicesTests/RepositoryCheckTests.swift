import Docker
import Foundation
import Store
import Testing

@testable import Services

/// `stevedore check` and the poller's check, against an engine without Docker.
@Suite struct RepositoryCheckTests {
    /// A check cancelled by a shutdown was recorded as the deployment's last error.
    /// Found in the issue 5 trial (was `RepositoryFixesTests.cancelledCheckIsNotRecordedAsAnError`).
    @Test func cancelledCheckIsNotRecordedAsAnError() async throws {
        let (dir, store, engine) = try await engineWithOneDeployment(NeverEndingExecutor())
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // Cancelled whenever it gets there: the executor's wait ends in CancellationError either way.
        let check = Task { try await engine.checkRemote("app") }
        check.cancel()
        _ = try? await check.value
        #expect(try await store.status(of: "app").lastError == nil)
    }

    /// A check error stayed in `status` after later checks worked (only sync/deploy cleared it).
    /// Found in the issue 5 trial (was `RepositoryFixesTests.aWorkingCheckClearsAnEarlierCheckError`).
    @Test func aWorkingCheckClearsAnEarlierCheckError() async throws {
        let (dir, store, engine) = try await engineWithOneDeployment(ScriptedExecutor())
        defer { try? FileManager.default.removeItem(atPath: dir) }
        await #expect(throws: GitError.self) { try await engine.checkRemote("app") }
        #expect(try await store.status(of: "app").lastError?.hasPrefix("check: ") == true)
        #expect(try await engine.checkRemote("app") == String(repeating: "a", count: 40))
        #expect(try await store.status(of: "app").lastError == nil)
    }

    /// The default check (in-process) of a local repository reads its refs: the commit is
    /// recorded, a missing branch is the deployment's check error, and no git runs (the
    /// executor's first run fails).
    @Test func inProcessCheckOfALocalRepositoryStartsNoGit() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("inproc-\(UUID().uuidString.prefix(8))").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try FileManager.default.createDirectory(atPath: dir + "/refs/heads", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: dir + "/objects", withIntermediateDirectories: true)
        let commit = String(repeating: "c", count: 40)
        try "ref: refs/heads/main\n".write(toFile: dir + "/HEAD", atomically: true, encoding: .utf8)
        try (commit + "\n").write(toFile: dir + "/refs/heads/main", atomically: true, encoding: .utf8)
        let store = try StateStore(path: dir + "/db", key: (0..<32).map { _ in UInt8.random(in: 0...255) })
        _ = try await store.addDeployment(DeploymentRecord(name: "app", url: dir, branch: "main", pollIntervalSeconds: 60, createdAt: 0))
        _ = try await store.addDeployment(
            DeploymentRecord(name: "gone", url: "file://" + dir, branch: "gone", pollIntervalSeconds: 60, createdAt: 0))
        let engine = DeploymentEngine(
            root: StateRoot(path: dir + "/state"), store: store, docker: DockerEngine(socketPath: dir + "/none.sock"),
            compose: ComposeRunner(flavor: ComposeFlavor(command: ["docker", "compose"], version: "2")),
            git: GitClient(
                executor: ScriptedExecutor(), timeout: .seconds(5),
                checkMethod: try DaemonConfiguration(environment: ["STEVEDORE_GIT_CHECK": "in-process"]).gitCheckMethod))
        #expect(engine.git.checkMethod == .inProcess)
        #expect(try DaemonConfiguration(environment: [:]).gitCheckMethod == .inProcess, "the default")
        #expect(try await engine.checkRemote("app") == commit)
        #expect(try await store.status(of: "app").remoteCommit == commit)
        await #expect(throws: GitError.branchNotFound(url: "file://" + dir, branch: "gone")) { try await engine.checkRemote("gone") }
        #expect(try await store.status(of: "gone").lastError == "check: branch 'gone' not found on remote file://\(dir)")
    }
}
