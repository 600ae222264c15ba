import Docker
import Foundation
import LogStreamer
import SeededRandom
import Services
import Store
import Testing

/// Issue 13, fault 1 with real lost writes: on a filesystem that forgets at a "power cut"
/// everything not made durable (``LossyFileSystem``), what Stevedore acknowledged is still
/// there. Each check has a control that does what the code did before (or what a plausible
/// setting does) and loses data under the same cut: proof that the filesystem really drops
/// unsynced writes, and that the test fails without the fix.
@Suite(.serialized) struct LostWritesTests {
    private func key() -> [UInt8] { (0..<32).map { _ in UInt8.random(in: 0...255) } }

    private func count(_ image: String, _ file: String, key: [UInt8]) throws -> Int? {
        guard FileManager.default.fileExists(atPath: image + "/" + file) else { return nil }
        let db = try Connection(path: image + "/" + file, key: key)
        defer { db.close() }
        #expect(try db.query("PRAGMA integrity_check").first?.string(0) == "ok")
        guard try !db.query("SELECT name FROM sqlite_master WHERE name = 't'").isEmpty else { return nil }
        return try db.query("SELECT count(*) FROM t").first?.int(0)
    }

    @Test(
        "every committed transaction survives a cut at any moment (WAL, synchronous=FULL); the old rollback journal with FULL loses the last one"
    )
    func committedTransactionsSurvive() async throws {
        let fs = try LossyFileSystem()
        defer { fs.remove() }
        let seed = ProcessInfo.processInfo.environment["STEVEDORE_SEED"].flatMap(UInt64.init) ?? UInt64.random(in: 0 ... .max)
        var random = SplitMix(state: seed)
        print("lost-writes drill: seed \(seed) (replay with STEVEDORE_SEED=\(seed))")
        let key = key()
        let db = try Connection(path: fs.mount + "/stevedore.db", key: key)
        // Closed before `fs.remove()` (defers run in reverse): a handle closed after lossyfs
        // is gone checkpoints through its mapped `-shm` on a dead FUSE mount, a SIGBUS that
        // took the whole test process down once (reading the WAL index in libsqlcipher).
        defer { db.close() }
        #expect(db.journalMode == "wal")
        #expect(try db.synchronous == 2)
        try db.execute("CREATE TABLE t (x INTEGER NOT NULL)")
        var committed = 0
        var cuts = 0
        for i in 0..<60 {
            let open = Bool.random(using: &random)
            try db.execute("BEGIN IMMEDIATE")
            for _ in 0..<Int.random(in: 1...5, using: &random) { try db.run("INSERT INTO t (x) VALUES (?)", [.integer(Int64(i))]) }
            if open {  // a cut in the middle of a transaction: none of it, all before it
                cuts += 1
                #expect(try count(try fs.cut(), "stevedore.db", key: key).map { $0 > 0 ? committed : 0 } == committed)
            }
            try db.execute("COMMIT")
            committed = try db.query("SELECT count(*) FROM t").first?.int(0) ?? 0
            if Int.random(in: 0..<3, using: &random) == 0 {
                cuts += 1
                #expect(try count(try fs.cut(), "stevedore.db", key: key) == committed, "cut \(cuts) after commit \(i) (seed \(seed))")
            }
        }
        // A state store as the daemon uses it: each acknowledged change is in the image.
        let store = try StateStore(path: fs.mount + "/state.db", key: key)
        for i in 0..<10 {
            _ = try await store.addDeployment(
                DeploymentRecord(name: "app\(i)", url: "/srv/app.git", branch: "main", pollIntervalSeconds: 60, createdAt: 0))
            #expect(try await store.setParameter("app\(i)", key: "TOKEN", value: "value-\(i)"))
            let image = try fs.cut()
            let copy = try StateStore(path: image + "/state.db", key: key)
            #expect(try await copy.deployments().count == i + 1)
            #expect(try await copy.parameters(of: "app\(i)") == ["TOKEN": "value-\(i)"])
        }
        await store.close()  // before the filesystem goes (see `db`)
        print(
            "MEASURE lost-writes: \(cuts) cuts of the database on a filesystem that drops unsynced writes, \(committed) rows committed, 0 lost"
        )

        // Controls: the same cut loses committed transactions with the rollback journal and
        // synchronous=FULL (SQLite's default, what Stevedore ran with before: the journal's
        // deletion is the commit and is not made durable), and with WAL and synchronous=NORMAL.
        for (mode, sync, file) in [("DELETE", "FULL", "delete-full.db"), ("WAL", "NORMAL", "wal-normal.db")] {
            let control = try Connection(path: fs.mount + "/" + file, key: key)
            defer { control.close() }
            try control.execute("PRAGMA journal_mode = \(mode)")
            try control.execute("PRAGMA synchronous = \(sync)")
            try control.execute("CREATE TABLE t (x INTEGER NOT NULL)")
            for i in 0..<5 { try control.transaction { try control.run("INSERT INTO t (x) VALUES (?)", [.integer(Int64(i))]) } }
            let kept = try count(try fs.cut(), file, key: key) ?? 0
            #expect(kept < 5, "journal_mode=\(mode) synchronous=\(sync) kept all 5 commits: the filesystem did not drop unsynced writes")
            print("MEASURE lost-writes: control journal_mode=\(mode) synchronous=\(sync): \(5 - kept) of 5 committed transactions lost")
        }
    }

    /// CI stop 21: a child process that inherited the control file's descriptor closed it
    /// later, FUSE flushed again, lossyfs wrote the same image a second time and truncated a
    /// `-shm` the test had mapped (SIGBUS in `Connection.close`, LostWritesTests.count).
    @Test("a later close of the control file (a flush) does not write an image again")
    func anImageIsWrittenOnce() throws {
        let fs = try LossyFileSystem()
        defer { fs.remove() }
        try "durable\n".write(toFile: fs.mount + "/file", atomically: false, encoding: .utf8)
        let fd = open(fs.mount + "/file", O_RDONLY)
        fsync(fd)
        close(fd)
        FileSync.directory(fs.mount)
        let image = try fs.cut()
        try "changed in the image\n".write(toFile: image + "/file", atomically: false, encoding: .utf8)
        let again = open(fs.mount + "/.lossyfs-cut", O_RDONLY | O_CLOEXEC)  // what a child's late close does
        #expect(again >= 0)
        close(again)
        #expect(try String(contentsOfFile: image + "/file", encoding: .utf8) == "changed in the image\n", "the image was written again")
    }

    @Test("atomic files are the old or the new content after a cut, never missing or part; without the directory fsync the rename is lost")
    func atomicFilesSurvive() throws {
        let fs = try LossyFileSystem()
        defer { fs.remove() }
        let dir = fs.mount + "/deployments/app"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        FileSync.directory(fs.mount + "/deployments")
        FileSync.directory(fs.mount)
        for i in 1...5 {
            let text = "ssh-ed25519 AAAA\(i) stevedore:app\n"
            try AtomicFile.write(Data(text.utf8), to: dir + "/deploy_key.pub", mode: 0o644)
            let image = try fs.cut()
            #expect(try String(contentsOfFile: image + "/deployments/app/deploy_key.pub", encoding: .utf8) == text)
            #expect(try FileManager.default.contentsOfDirectory(atPath: image + "/deployments/app") == ["deploy_key.pub"])
        }
        try AtomicFile.write(Data("0123\n".utf8), to: dir + "/sync-in-progress", mode: 0o600)
        try AtomicFile.remove(dir + "/sync-in-progress")
        #expect(!FileManager.default.fileExists(atPath: try fs.cut() + "/deployments/app/sync-in-progress"), "a removed marker came back")
        #expect(
            try SecretFile.createExclusive(path: fs.mount + "/admin.key", contents: Data((String(repeating: "a", count: 64) + "\n").utf8)))
        #expect(try String(contentsOfFile: try fs.cut() + "/admin.key", encoding: .utf8) == String(repeating: "a", count: 64) + "\n")

        // Control: temp file, fsync, rename, but no fsync of the directory (AtomicFile before).
        let temp = dir + "/.control.tmp"
        try "new\n".write(toFile: temp, atomically: false, encoding: .utf8)
        let fd = open(temp, O_RDONLY)
        fsync(fd)
        close(fd)
        rename(temp, dir + "/control")
        #expect(
            !FileManager.default.fileExists(atPath: try fs.cut() + "/deployments/app/control"), "the filesystem kept an unsynced rename")
    }

    @Test("the log streamer's .positions never names a line a cut lost")
    func logPositionsSurvive() throws {
        let fs = try LossyFileSystem()
        defer { fs.remove() }
        let directory = fs.mount + "/logs"
        let set = try LogFileSet(directory: directory, limits: LogLimits(maximumBytes: 1 << 20, fileBytes: 64 * 1024, lineBytes: 1024))
        FileSync.directory(fs.mount)
        var written = 0
        for batch in 0..<20 {
            let records = (0..<50).map { i in
                LogRecord(
                    timestamp: Array(LogTimestamp(seconds: 1_796_083_200 + Int64(batch), nanoseconds: Int32(i)).text.utf8), stream: .stdout,
                    continues: false, container: "0123456789ab",
                    text: Array("line \(batch)-\(i) ".utf8) + Array(repeating: 0x78, count: 200))
            }
            try set.write(service: "web", records: records)
            written += records.count
            set.savePositionsIfChanged()
            let image = try fs.cut() + "/logs"
            // Saved, so on disk: the file (renamed into place, its directory fsynced) and the lines it names.
            let positions = try #require(
                try? String(contentsOfFile: image + "/.positions", encoding: .utf8), "batch \(batch): the saved .positions was lost")
            for line in positions.split(separator: "\n") {
                let stamp = String(line.split(separator: " ")[1])
                let files = LogFileSet.files(of: "web", in: image)
                let text = files.compactMap { try? String(contentsOfFile: $0, encoding: .utf8) }.joined()
                #expect(text.contains(stamp + " stdout"), "batch \(batch): .positions names \(stamp), which the cut lost")
            }
        }
        print("MEASURE lost-writes: 20 cuts of the log files and .positions, \(written) lines written")
    }
}
