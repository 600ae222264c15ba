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
        }
    }
}
