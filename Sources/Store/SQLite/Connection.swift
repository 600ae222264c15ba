import CSQLCipher
import Foundation

/// One open SQLCipher database: a thin wrapper over the SQLite C API.
///
/// Not thread-safe: confine it to one actor (``StateStore`` does). Statements use SQL of
/// SQLite 3.15 (Debian 12's SQLCipher 3.4.1): no UPSERT, no RETURNING, no JSON functions.
public final class Connection {
    /// The database file path.
    public let path: String
    private(set) var handle: OpaquePointer?
    /// Where storage faults (``StoreError/diskFull(directory:)``, ``StoreError/readOnly(directory:)``)
    /// are reported as they happen; ``StateStore`` shares one across reopened connections.
    /// Setting it installs the commit hook that refuses commits while
    /// ``StorageFaults/lowSpace`` is set.
    var faults: StorageFaults? {
        didSet { installCommitHook() }
    }

    /// `SQLITE_CONSTRAINT_COMMITHOOK` (`SQLITE_CONSTRAINT | 2 << 8`, sqlite.org/rescode.html):
    /// a commit the commit hook turned into a rollback. (The C macro is not imported.)
    static let constraintCommitHook: Int32 = 531

    /// `sqlite3_commit_hook(3)`: a non-zero return turns the `COMMIT` (or an autocommit
    /// statement's implicit commit) into a rollback that fails with
    /// ``constraintCommitHook``. The hook holds ``faults`` unretained; this connection retains it.
    private func installCommitHook() {
        guard let handle else { return }
        guard let faults else {
            sqlite3_commit_hook(handle, nil, nil)
            return
        }
        sqlite3_commit_hook(
            handle,
            { context in
                guard let context else { return 0 }
                return Unmanaged<StorageFaults>.fromOpaque(context).takeUnretainedValue().lowSpace ? 1 : 0
            }, Unmanaged.passUnretained(faults).toOpaque())
    }

    /// Opens (creating if absent) the database at `path` and applies `key`.
    ///
    /// - Parameters:
    ///   - path: file path; the parent directory must exist.
    ///   - key: 32 raw key bytes, passed as SQLCipher's raw hex key `x'…'` (no KDF).
    /// - Throws: ``StoreError/wrongKey(path:)`` if the key does not open an existing file,
    ///   ``StoreError/invalidKey(_:)`` for a key that is not 32 bytes, ``StoreError/sqlite(code:message:sql:)``.
    public init(path: String, key: [UInt8]) throws {
        guard key.count == 32 else { throw StoreError.invalidKey("expected 32 bytes, got \(key.count)") }
        self.path = path
        var db: OpaquePointer?
        let rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, nil)
        handle = db
        guard rc == SQLITE_OK else {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? "cannot open"
            sqlite3_close(db)
            handle = nil
            throw StoreError.sqlite(code: rc, message: message, sql: nil)
        }
        sqlite3_busy_timeout(db, 5000)
        let hex = Hex.encode(key)
        do {
            try execute("PRAGMA key = \"x'\(hex)'\"")
            // The first real read decides whether the key fits.
            try execute("SELECT count(*) FROM sqlite_master")
            try execute("PRAGMA foreign_keys = ON")
            try configureDurability()
        } catch StoreError.sqlite(let code, _, _) where code == SQLITE_NOTADB {
            close()
            throw StoreError.wrongKey(path: path)
        } catch {
            close()
            throw error
        }
    }

    deinit { close() }

    /// The journal mode in force: `wal` (write-ahead log, `stevedore.db-wal` and `-shm` beside
    /// the file), or `delete` (rollback journal) on a filesystem where WAL cannot be used
    /// (docs/STATE_LAYOUT.md, "Durability").
    public private(set) var journalMode = "delete"

    /// Makes every committed transaction survive a power cut, not only a crash of the process:
    /// `journal_mode = WAL` with `synchronous = FULL` (the WAL is fsynced at each commit; with
    /// `NORMAL` only at checkpoints, so a power cut can lose the last transactions), or, where
    /// WAL cannot be had (no shared memory on the filesystem, another connection holding the
    /// file in rollback mode), `synchronous = EXTRA` (SQLite ≥ 3.12: FULL plus an fsync of the
    /// directory after the journal's deletion, which is the commit in `DELETE` mode).
    /// Source: sqlite.org/pragma.html#pragma_synchronous, sqlite.org/wal.html.
    private func configureDurability() throws {
        let mode = try? query("PRAGMA journal_mode = WAL").first?.string(0)
        let current = try mode ?? query("PRAGMA journal_mode").first?.string(0)
        journalMode = (current ?? "delete").lowercased()
        try execute(journalMode == "wal" ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = EXTRA")
    }

    /// `PRAGMA synchronous`: 2 (`FULL`, with WAL) or 3 (`EXTRA`, with a rollback journal).
    public var synchronous: Int {
        get throws { try query("PRAGMA synchronous").first?.int(0) ?? 0 }
    }

    /// Closes the handle; later calls throw `SQLITE_MISUSE`. Idempotent.
    public func close() {
        if let handle { sqlite3_close_v2(handle) }
        handle = nil
    }

    /// Runs one or more `;`-separated statements that return no rows of interest.
    ///
    /// - Throws: ``StoreError/sqlite(code:message:sql:)``.
    public func execute(_ sql: String) throws {
        guard let handle else { throw StoreError.sqlite(code: SQLITE_MISUSE, message: "database is closed", sql: sql) }
        var errorMessage: UnsafeMutablePointer<CChar>?
        let rc = sqlite3_exec(handle, sql, nil, nil, &errorMessage)
        if rc != SQLITE_OK {
            let message = errorMessage.map { String(cString: $0) } ?? String(cString: sqlite3_errmsg(handle))
            sqlite3_free(errorMessage)
            throw failure(rc, message: message, sql: sql)
        }
    }

    /// Compiles one statement.
    ///
    /// - Throws: ``StoreError/sqlite(code:message:sql:)``.
    public func prepare(_ sql: String) throws -> Statement {
        guard let handle else { throw StoreError.sqlite(code: SQLITE_MISUSE, message: "database is closed", sql: sql) }
        var stmt: OpaquePointer?
        let rc = sqlite3_prepare_v2(handle, sql, -1, &stmt, nil)
        guard rc == SQLITE_OK, let stmt else {
            throw failure(rc, message: String(cString: sqlite3_errmsg(handle)), sql: sql)
        }
        return Statement(stmt: stmt, connection: self, sql: sql)
    }

    /// Prepares `sql`, binds `parameters` (1-based, in order) and steps it to completion.
    ///
    /// - Returns: the number of rows changed.
    /// - Throws: ``StoreError/sqlite(code:message:sql:)``.
    @discardableResult
    public func run(_ sql: String, _ parameters: [SQLValue] = []) throws -> Int {
        let statement = try prepare(sql)
        try statement.bind(parameters)
        while try statement.step() {}
        return Int(sqlite3_changes(handle))
    }

    /// Prepares `sql`, binds `parameters` and returns every row.
    ///
    /// - Throws: ``StoreError/sqlite(code:message:sql:)``.
    public func query(_ sql: String, _ parameters: [SQLValue] = []) throws -> [Row] {
        let statement = try prepare(sql)
        try statement.bind(parameters)
        var rows: [Row] = []
        while try statement.step() { rows.append(statement.row()) }
        return rows
    }

    /// Runs `body` in a transaction (`BEGIN IMMEDIATE` … `COMMIT`), rolling back if it throws,
    /// so nothing is half-written.
    ///
    /// - Throws: whatever `body` throws, or ``StoreError/sqlite(code:message:sql:)``.
    public func transaction<T>(_ body: () throws -> T) throws -> T {
        try execute("BEGIN IMMEDIATE")
        do {
            let result = try body()
            try execute("COMMIT")
            return result
        } catch {
            try? execute("ROLLBACK")
            throw error
        }
    }

    /// `PRAGMA user_version`: the schema version ``Migrator`` maintains.
    public var userVersion: Int {
        get throws { try query("PRAGMA user_version").first?.int(0) ?? 0 }
    }

    func errorMessage() -> String { handle.map { String(cString: sqlite3_errmsg($0)) } ?? "closed" }

    /// The error for result code `rc`: a full or read-only filesystem becomes
    /// ``StoreError/diskFull(directory:)`` or ``StoreError/readOnly(directory:)`` and is
    /// reported to ``faults``; anything else is ``StoreError/sqlite(code:message:sql:)``.
    /// `SQLITE_FULL` and `SQLITE_READONLY` say it themselves, as does a commit refused by the
    /// commit hook while the disk is almost full (``StorageFaults/lowSpace``); for `SQLITE_IOERR` and
    /// `SQLITE_CANTOPEN` (e.g. the rollback journal could not be created) the errno of
    /// `sqlite3_system_errno` is not always the failed call's, so the directory is asked
    /// directly: a 1-byte file created, written, synced and removed (``writeProbe(_:)``).
    func failure(_ rc: Int32, message: String, sql: String?) -> StoreError {
        let directory = (path as NSString).deletingLastPathComponent
        let error: StoreError
        switch rc & 0xff {
        case SQLITE_FULL: error = .diskFull(directory: directory)
        case SQLITE_CONSTRAINT where handle.map({ sqlite3_extended_errcode($0) }) == Self.constraintCommitHook:
            // Refused by the commit hook: the state disk has almost no space (StorageFaults.lowSpace).
            error = .diskFull(directory: directory)
        case SQLITE_READONLY: error = .readOnly(directory: directory)
        case SQLITE_IOERR, SQLITE_CANTOPEN:
            let systemErrno = handle.map { sqlite3_system_errno($0) } ?? 0
            switch [ENOSPC, EDQUOT, EROFS].contains(systemErrno) ? systemErrno : Self.writeProbe(directory) {
            case ENOSPC, EDQUOT: error = .diskFull(directory: directory)
            case EROFS: error = .readOnly(directory: directory)
            default: return .sqlite(code: rc, message: message, sql: sql)
            }
        default:
            return .sqlite(code: rc, message: message, sql: sql)
        }
        faults?.record(error)
        return error
    }

    /// Whether `directory` takes a write now: `nil` if a 1-byte file could be created,
    /// written and synced there (it is removed again), else the errno that refused it
    /// (`EROFS`, `ENOSPC`, …).
    static func writeProbe(_ directory: String) -> Int32? {
        let probe = directory + "/.stevedore-write-probe-\(getpid())"
        let fd = Foundation.open(probe, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { return errno }
        defer {
            _ = Foundation.close(fd)
            _ = Foundation.unlink(probe)
        }
        var byte: UInt8 = 0x0A
        guard Foundation.write(fd, &byte, 1) == 1 else { return errno }
        guard Foundation.fsync(fd) == 0 else { return errno }
        return nil
    }
}
