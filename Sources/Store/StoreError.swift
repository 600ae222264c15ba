/// Errors of the SQLCipher store.
public enum StoreError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The key does not open the database file (SQLCipher answers `SQLITE_NOTADB`, rc 26, on
    /// the first statement when the key is wrong or the file is not a database).
    case wrongKey(path: String)
    /// A key was given in a form we cannot use.
    case invalidKey(String)
    /// SQLite returned an error code.
    case sqlite(code: Int32, message: String, sql: String?)
    /// The schema on disk is newer than this binary knows (`PRAGMA user_version`).
    case schemaTooNew(found: Int, supported: Int)
    /// The key file or another file around the store could not be read or written.
    case io(String)
    /// A write was refused because the filesystem holding `directory` (the database's
    /// directory) is full: `SQLITE_FULL` (rc 13), or an I/O error with `ENOSPC`/`EDQUOT`.
    /// Nothing of the refused change was stored; what was committed before is intact.
    case diskFull(directory: String)
    /// A write was refused because the filesystem holding `directory` is read-only:
    /// `SQLITE_READONLY` (rc 8), or an I/O or open error with `EROFS` (e.g. the kernel
    /// remounted an SD card read-only after I/O errors). Nothing of the change was stored.
    case readOnly(directory: String)

    /// Whether this is a refusal of the filesystem (``diskFull(directory:)``,
    /// ``readOnly(directory:)``): the state cannot change until the disk is fixed, while
    /// everything already stored can still be read.
    public var isStorageFault: Bool {
        switch self {
        case .diskFull, .readOnly: return true
        default: return false
        }
    }

    public var description: String {
        switch self {
        case .wrongKey(let path):
            return "database key does not match \(path) (wrong STEVEDORE_DB_KEY / key file, or not a Stevedore database)"
        case .invalidKey(let why): return "invalid database key: \(why)"
        case .sqlite(let code, let message, let sql):
            return "sqlite error \(code): \(message)" + (sql.map { " (in: \($0.prefix(120)))" } ?? "")
        case .schemaTooNew(let found, let supported):
            return "database schema version \(found) is newer than this stevedore supports (\(supported)); upgrade stevedore"
        case .io(let what): return what
        case .diskFull(let directory):
            return
                "state disk full: \(directory) (ENOSPC): nothing new can be recorded until space is freed there; what was stored is intact and the workloads keep running"
        case .readOnly(let directory):
            return
                "state filesystem read-only: \(directory) (EROFS): nothing new can be recorded until it is writable again; what was stored is intact and the workloads keep running"
        }
    }
}
