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
}
