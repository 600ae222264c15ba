import Foundation
import Testing

@testable import LogStreamer

@Suite struct DeploymentLogWriterTests {
    @Test("batches from several enqueues land in order; a barrier waits for them")
    func batchesInOrder() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let writer = DeploymentLogWriter(name: "t", directory: directory, limits: LogLimits())
        let session = DeploymentLogWriter.Session()
        for i in 0..<100 { writer.enqueue(service: "web", records: [record(stamp(i), "line \(i)")], session: session) }
        try await writer.barrier(session)
        let lines = try String(contentsOfFile: directory + "/web.log", encoding: .utf8).split(separator: "\n")
        #expect(lines.map { String($0.split(separator: " ", maxSplits: 3)[3]) } == (0..<100).map { "line \($0)" })
    }

    @Test("after a failed write the session's later batches are refused: the file never has a gap")
    func failedSessionRefusesLaterBatches() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        // `web.log` is a directory: opening it for writing fails (EISDIR), as a full disk would.
        try FileManager.default.createDirectory(atPath: directory + "/web.log", withIntermediateDirectories: true)
        let writer = DeploymentLogWriter(name: "t", directory: directory, limits: LogLimits())
        let session = DeploymentLogWriter.Session()
        writer.enqueue(service: "web", records: [record(stamp(1), "first")], session: session)
        await #expect(throws: LogWriteError.self) { try await writer.barrier(session) }
        #expect(session.error?.code == EISDIR)
        // The disk is "fixed"; the failed session stays refused, a new one writes.
        try FileManager.default.removeItem(atPath: directory + "/web.log")
        writer.enqueue(service: "web", records: [record(stamp(2), "second")], session: session)
        await #expect(throws: LogWriteError.self) { try await writer.barrier(session) }
        #expect(!FileManager.default.fileExists(atPath: directory + "/web.log"))
        let fresh = DeploymentLogWriter.Session()
        writer.enqueue(service: "web", records: [record(stamp(3), "third")], session: fresh)
        try await writer.barrier(fresh)
        #expect(try String(contentsOfFile: directory + "/web.log", encoding: .utf8).contains("third"))
    }

    /// Found by a trial: records still waiting for their batch were missing when a stream
    /// looked up its resume point, so it resumed before them and wrote them twice.
    @Test("the resume point counts records still waiting for their batch")
    func resumePointSeesQueuedRecords() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let writer = DeploymentLogWriter(name: "t", directory: directory, limits: LogLimits())
        let session = DeploymentLogWriter.Session()
        writer.enqueue(service: "web", records: [record(stamp(7), "queued")], session: session)
        let point = try await writer.resumePoint(container: "0123456789ab", service: "web", notBefore: nil)
        #expect(point?.timestamp == Array(stamp(7).utf8))
    }
}
