import Foundation
import Testing

@testable import Store

/// Issue 13, fault 1 (power cut): the journal settings that make a committed transaction
/// survive a power cut, and what a process killed mid-write leaves behind.
@Suite struct DurabilityTests {
    /// WAL with `synchronous = FULL` (the WAL is fsynced at every commit); was the compiled-in
    /// rollback journal before, whose commit (the journal's deletion) is not made durable
    /// under `FULL`.
    @Test func connectionsUseWALWithFullSync() throws {
        let dir = TempDir()
        let key = randomKey()
        let path = dir.path + "/stevedore.db"
        let connection = try Connection(path: path, key: key)
        #expect(connection.journalMode == "wal")
        #expect(try connection.synchronous == 2)
        try connection.execute("CREATE TABLE t (x INTEGER)")
        connection.close()
        // The mode is stored in the file; a new connection sets the same synchronous level.
        let again = try Connection(path: path, key: key)
        #expect(again.journalMode == "wal")
        #expect(try again.synchronous == 2)
        #expect(try again.query("PRAGMA journal_mode").first?.string(0) == "wal")
    }

    /// What a SIGKILL leaves (the database and its WAL, never closed nor checkpointed; the
    /// shared-memory index lost, as after a power cut) opens with every committed transaction
    /// and passes `PRAGMA integrity_check`; a transaction not committed is not there.
    @Test func filesLeftByAKilledWriterHoldEveryCommittedTransaction() throws {
        let dir = TempDir()
        let key = randomKey()
        let path = dir.path + "/stevedore.db"
        let writer = try Connection(path: path, key: key)
        try writer.execute("CREATE TABLE t (x INTEGER NOT NULL)")
        for i in 0..<200 {
            try writer.transaction { try writer.run("INSERT INTO t (x) VALUES (?)", [.integer(Int64(i))]) }
        }
        try writer.execute("BEGIN IMMEDIATE")
        try writer.run("INSERT INTO t (x) VALUES (-1)")
        // Copy what is on disk now, as the killed process would leave it (no close, no checkpoint).
        let copy = dir.path + "/copy"
        try FileManager.default.createDirectory(atPath: copy, withIntermediateDirectories: true)
        for suffix in ["", "-wal"] where FileManager.default.fileExists(atPath: path + suffix) {
            try FileManager.default.copyItem(atPath: path + suffix, toPath: copy + "/stevedore.db" + suffix)
        }
        #expect(FileManager.default.fileExists(atPath: copy + "/stevedore.db-wal"), "the commits are in the WAL until a checkpoint")
        let reader = try Connection(path: copy + "/stevedore.db", key: key)
        #expect(try reader.query("PRAGMA integrity_check").first?.string(0) == "ok")
        #expect(
            try reader.query("SELECT count(*), min(x), max(x) FROM t").first.map { [$0.int(0), $0.int(1), $0.int(2)] } == [200, 0, 199])
        try writer.execute("ROLLBACK")
    }
}
