import Docker
import Foundation
import Store
import Testing

@testable import Services

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
    _ = try await store.addDeployment(
        DeploymentRecord(name: "app", url: "/srv/app.git", branch: "main", pollIntervalSeconds: 60, createdAt: 0))
    let engine = DeploymentEngine(
        root: StateRoot(path: dir), store: store, docker: DockerEngine(socketPath: dir + "/none.sock"),
        compose: ComposeRunner(flavor: ComposeFlavor(command: ["docker", "compose"], version: "2")),
        git: GitClient(executor: executor))
    return (dir, store, engine)
}
