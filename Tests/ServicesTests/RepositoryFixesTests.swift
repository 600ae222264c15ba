import Docker
import Foundation
import Store
import Testing
@testable import Services

/// Faults found by the issue-5 trial, one test each.
@Suite struct RepositoryFixesTests {
    /// `settingsURL` encoded as `settings_url` but decoded as `settingsUrl`: every GitHub
    /// `repo add`/`repo key` failed in the CLI.
    @Test func answersRoundTripThroughTheAPICoders() throws {
        let key = DeployKeyResponse(deployment: "app", publicKey: "ssh-ed25519 AAAA stevedore:app",
                                    github: GitHubHints.hint(url: "https://github.com/o/r", name: "app", publicKey: "ssh-ed25519 AAAA stevedore:app"))
        let data = try APICoding.encoder().encode(key)
        #expect(String(decoding: data, as: UTF8.self).contains("\"settings_url\""))
        #expect(try APICoding.decoder().decode(DeployKeyResponse.self, from: data) == key)
        #expect(key.github?.sshURL == "git@github.com:o/r.git")
        let check = CheckResponse(deployment: "a", url: "u", branch: "main", currentCommit: nil, deployedCommit: "x", remoteCommit: "y", updateAvailable: true)
        #expect(try APICoding.decoder().decode(CheckResponse.self, from: APICoding.encoder().encode(check)) == check)
        let added = AddRepositoryResponse(deployment: DeploymentRecord(name: "a", url: "u", branch: "b", pollIntervalSeconds: 1, createdAt: 0), deployKey: key)
        #expect(try APICoding.decoder().decode(AddRepositoryResponse.self, from: APICoding.encoder().encode(added)).deployKey == key)
    }

    @Test func githubHostIsCaseInsensitive() {
        #expect(GitHubHints.repository("git@GitHub.com:O/R.git") == "O/R")
        #expect(GitHubHints.repository("https://GITHUB.COM/o/r") == "o/r")
    }

    @Test(arguments: ["fd::17", "ext::sh -c id", "ext::sh%20-c%20id", "file://relative", "file:///a:b", "/srv/app.git:/etc"])
    func transportFormsAndColonPathsAreRefused(url: String) {
        #expect(throws: ServiceError.invalidURL(url)) { try Validation.repositoryURL(url) }
    }

    @Test(arguments: ["ssh://[::1]:22/r.git", "git@github.com:o/r.git", "file:///srv/r.git", "/srv/r.git", "https://h/o/r"])
    func ordinaryURLsAreAccepted(url: String) throws {
        try Validation.repositoryURL(url)
    }

    /// A check cancelled by a shutdown was recorded as the deployment's last error.
    @Test func cancelledCheckIsNotRecordedAsAnError() async throws {
        let (dir, store, engine) = try await engineWithOneDeployment(NeverEndingExecutor())
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // Cancelled whenever it gets there: the executor's wait ends in CancellationError either way.
        let check = Task { try await engine.checkRemote("app") }
        check.cancel()
        _ = try? await check.value
        #expect(try await store.status(of: "app").lastError == nil)
    }
}

extension RepositoryFixesTests {
    /// A check error stayed in `status` after later checks worked (only sync/deploy cleared it).
    @Test func aWorkingCheckClearsAnEarlierCheckError() async throws {
        let (dir, store, engine) = try await engineWithOneDeployment(ScriptedExecutor())
        defer { try? FileManager.default.removeItem(atPath: dir) }
        await #expect(throws: GitError.self) { try await engine.checkRemote("app") }
        #expect(try await store.status(of: "app").lastError?.hasPrefix("check: ") == true)
        #expect(try await engine.checkRemote("app") == String(repeating: "a", count: 40))
        #expect(try await store.status(of: "app").lastError == nil)
    }
}

/// Fails its first run, then answers `ls-remote` with a fixed commit.
final class ScriptedExecutor: GitExecutor, @unchecked Sendable {
    private var runs = 0
    var mode: GitMode { .local }
    func run(_ operation: GitScript.Operation, checkout: String?, access: GitAccess, timeout: Duration) async throws -> GitRunResult {
        runs += 1
        if runs == 1 { return GitRunResult(exitCode: 128, output: "fatal: unable to access") }
        return GitRunResult(exitCode: 0, output: String(repeating: "a", count: 40) + "\trefs/heads/main\n")
    }
}

/// A git executor whose operations never finish (until cancelled).
struct NeverEndingExecutor: GitExecutor {
    var mode: GitMode { .local }
    func run(_ operation: GitScript.Operation, checkout: String?, access: GitAccess, timeout: Duration) async throws -> GitRunResult {
        while true { try await Task.sleep(for: .seconds(3600)) }
    }
}

/// An engine on a temporary state root with a real encrypted store holding deployment `app`
/// (a local-path URL), git run by `executor`, and no Docker engine.
func engineWithOneDeployment(_ executor: any GitExecutor) async throws -> (String, StateStore, DeploymentEngine) {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("engine-\(UUID().uuidString.prefix(8))").path
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    let store = try StateStore(path: dir + "/db", key: (0..<32).map { _ in UInt8.random(in: 0...255) })
    _ = try await store.addDeployment(DeploymentRecord(name: "app", url: "/srv/app.git", branch: "main", pollIntervalSeconds: 60, createdAt: 0))
    let engine = DeploymentEngine(root: StateRoot(path: dir), store: store, docker: DockerEngine(socketPath: dir + "/none.sock"),
                                  compose: ComposeRunner(flavor: ComposeFlavor(command: ["docker", "compose"], version: "2")),
                                  git: GitClient(executor: executor))
    return (dir, store, engine)
}
