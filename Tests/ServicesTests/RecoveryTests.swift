import Docker
import Foundation
import Store
import Testing

@testable import Services

/// Issue 13, fault 1 (power cut): what a daemon cut at any moment leaves behind is put right
/// at the next start.
@Suite struct RecoveryTests {
    /// The pid of a process that has exited (and been reaped).
    private func deadPid() throws -> pid_t {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/true")
        try process.run()
        process.waitUntilExit()
        return process.processIdentifier
    }

    @Test func staleTemporariesAreThoseOfGoneWriters() throws {
        let dead = try deadPid()
        #expect(AtomicFile.isStaleTemporary(".deploy_key.pub.\(dead).12345.tmp"))
        #expect(AtomicFile.isStaleTemporary(".admin.key.\(dead).0.tmp"))
        #expect(!AtomicFile.isStaleTemporary(".deploy_key.pub.\(getpid()).12345.tmp"), "its writer is alive")
        for name in ["deploy_key.pub", ".positions", ".positions.tmp", ".x.tmp", ".x.abc.1.tmp", ".x.\(dead).tmp", "web.log.3"] {
            #expect(!AtomicFile.isStaleTemporary(name), "\(name)")
        }
        let name = AtomicFile.temporaryName(for: "known_hosts")
        #expect(name.hasPrefix(".known_hosts.\(getpid()).") && name.hasSuffix(".tmp"))
    }

    @Test func atomicWritesAndRemovalsLeaveNoTemporary() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("atomic-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try AtomicFile.write(Data("one\n".utf8), to: dir + "/f", mode: 0o600)
        try AtomicFile.write(Data("two\n".utf8), to: dir + "/f", mode: 0o644)
        #expect(try String(contentsOfFile: dir + "/f", encoding: .utf8) == "two\n")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["f"])
        try AtomicFile.remove(dir + "/f")
        try AtomicFile.remove(dir + "/f")  // absent: not an error
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir).isEmpty)
        #expect(throws: ServiceError.self) { try AtomicFile.write(Data(), to: dir + "/missing/f", mode: 0o600) }
    }

    /// A `repo remove` cut after its transaction left the checkout and ssh files of a
    /// deployment that is no longer registered; a kill between a temp file's creation and its
    /// rename left the temp file. Both go at the next start; registered deployments, user data
    /// and the files of live writers stay.
    @Test func leftoversOfAnUncleanStopAreRemoved() async throws {
        let (dir, _, engine) = try await engineWithOneDeployment(NeverEndingExecutor())
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let root = engine.root
        let fm = FileManager.default
        func make(_ path: String, _ text: String? = nil) throws {
            if let text {
                try fm.createDirectory(atPath: FileSync.parent(of: path), withIntermediateDirectories: true)
                try text.write(toFile: path, atomically: false, encoding: .utf8)
            } else {
                try fm.createDirectory(atPath: path, withIntermediateDirectories: true)
            }
        }
        try make(root.repo("app") + "/.git")
        try make(root.ssh("app") + "/known_hosts", "")
        try make(root.repo("gone") + "/.git/HEAD", "ref: refs/heads/main\n")
        try make(root.repo("gone") + ".clone-7")
        try make(root.ssh("gone") + "/deploy_key.pub", "ssh-ed25519 AAAA stevedore:gone\n")
        try make(root.syncMarker("gone"), String(repeating: "a", count: 40) + "\n")
        try make(root.data("gone") + "/keep.txt", "user data\n")
        try make(root.logs("gone"))
        try make(root.repo("gone2") + "/.git")
        let dead = try deadPid()
        try make(root.system)
        try make(root.system + "/.admin.key.\(dead).99.tmp", "half")
        try make(root.ssh("app") + "/.deploy_key.pub.\(dead).5.tmp", "ssh-ed")
        try make(root.deployment("app") + "/.sync-in-progress.\(getpid()).5.tmp", "live writer")

        let removed = try await engine.removeLeftoversOfUncleanStop()

        for path in [
            root.repo("gone"), root.repo("gone") + ".clone-7", root.ssh("gone"), root.syncMarker("gone"), root.logs("gone"),
            root.deployment("gone2"), root.system + "/.admin.key.\(dead).99.tmp", root.ssh("app") + "/.deploy_key.pub.\(dead).5.tmp",
        ] {
            #expect(!fm.fileExists(atPath: path), "\(path) is still there")
            #expect(removed.contains(path) || !removed.filter { path.hasPrefix($0 + "/") }.isEmpty, "\(path) not reported: \(removed)")
        }
        for path in [
            root.repo("app") + "/.git", root.ssh("app") + "/known_hosts", root.data("gone") + "/keep.txt",
            root.deployment("app") + "/.sync-in-progress.\(getpid()).5.tmp",
        ] {
            #expect(fm.fileExists(atPath: path), "\(path) was removed")
        }
        #expect(try await engine.removeLeftoversOfUncleanStop().isEmpty)
    }

    /// A run left open by a daemon that died is closed as `interrupted` and its pipeline asked
    /// for a run again, explicit when it served a `deploy up`; the request is derived from the
    /// history, so a daemon cut again before that run starts asks again.
    @Test func interruptedRunsRunAgain() async throws {
        let (dir, store, engine) = try await engineWithOneDeployment(NeverEndingExecutor())
        defer { try? FileManager.default.removeItem(atPath: dir) }
        #expect(try await engine.resumeInterruptedRuns().isEmpty)
        _ = try await store.startRun("app", triggers: "cli, poll ×2", previousCommit: nil)
        #expect(try await store.closeInterruptedRuns() == 1)
        let run = try #require(try await store.runs(of: "app", limit: 1).first)
        #expect(run.outcome == "interrupted" && run.endedAt != nil)
        #expect(try await engine.resumeInterruptedRuns() == ["app"])
        let job = try await engine.pipelines.next("app")
        #expect(job.triggers == [RunRequest.interruptedTrigger])
        #expect(job.explicit && !job.force)
        await engine.pipelines.finish("app", .failure(CancellationError()))
        // Cut again before the new run started: asked for again.
        #expect(try await store.closeInterruptedRuns() == 0)
        #expect(try await engine.resumeInterruptedRuns() == ["app"])
        _ = try await engine.pipelines.next("app")
        await engine.pipelines.finish("app", .failure(CancellationError()))
        // Once a run after it ended, nothing is resumed.
        let later = try await store.startRun("app", triggers: RunRequest.interruptedTrigger, previousCommit: nil)
        try await store.finishRun(later, targetCommit: nil, outcome: "succeeded", reason: nil)
        #expect(try await engine.resumeInterruptedRuns().isEmpty)
        // A poll run that was interrupted is resumed, not as an operator's deploy.
        _ = try await store.startRun("app", triggers: "poll, webhook:github ×3", previousCommit: nil)
        try await store.closeInterruptedRuns()
        #expect(try await engine.resumeInterruptedRuns() == ["app"])
        #expect(try await engine.pipelines.next("app").explicit == false)
    }

    @Test func explicitTriggersAreTheOperatorsDeployUp() {
        #expect(RunRequest.wasExplicit("cli"))
        #expect(RunRequest.wasExplicit("poll ×2, api"))
        #expect(RunRequest.wasExplicit("cli ×3"))
        #expect(!RunRequest.wasExplicit("poll, webhook:github ×10, reconcile"))
        #expect(!RunRequest.wasExplicit(RunRequest.interruptedTrigger))
        #expect(!RunRequest.wasExplicit(""))
    }
}
