import Foundation
import Store

/// `stevedore init`: creates the state root and its keys, as the daemon would on first start,
/// so that an installer can prepare a host before starting the service. Idempotent: existing
/// keys and state are never touched.
public enum StateRootSetup {
    /// What ``initialize(root:environment:)`` did.
    public struct Result: Codable, Sendable {
        /// The state root.
        public var root: String
        /// Key files created now (empty when everything existed).
        public var created: [String]
        /// Whether the database key comes from `STEVEDORE_DB_KEY` / `STEVEDORE_DB_KEY_FILE`.
        public var databaseKeyFromEnvironment: Bool
    }

    /// Creates `<root>/system` (0700) and, if absent, `db.key` and `admin.key` (0600, written
    /// to a temp file and linked into place), then opens the database once to create it and
    /// prove the key.
    ///
    /// - Throws: ``ServiceError/databaseKeyMissing(database:keyFile:)`` when the database
    ///   exists without its key; `StoreError.wrongKey` when the key does not open it;
    ///   `StoreError.io` on file-system errors.
    public static func initialize(root: StateRoot, environment: [String: String]) async throws -> Result {
        try root.createBaseDirectories()
        let fm = FileManager.default
        let fromEnvironment = (environment["STEVEDORE_DB_KEY"] ?? "") != "" || (environment["STEVEDORE_DB_KEY_FILE"] ?? "") != ""
        let databaseExists = fm.fileExists(atPath: root.database)
        if databaseExists, !fromEnvironment, !fm.fileExists(atPath: root.databaseKey) {
            throw ServiceError.databaseKeyMissing(database: root.database, keyFile: root.databaseKey)
        }
        var created: [String] = []
        let hadDatabaseKey = fm.fileExists(atPath: root.databaseKey)
        let key = try DatabaseKey.resolve(environment: environment, defaultFile: root.databaseKey, generate: !databaseExists)
        if !hadDatabaseKey, fm.fileExists(atPath: root.databaseKey) { created.append(root.databaseKey) }
        let hadAdminKey = fm.fileExists(atPath: root.adminKey)
        _ = try AdminKey.load(root: root, generate: true)
        if !hadAdminKey { created.append(root.adminKey) }
        let store = try StateStore(path: root.database, key: key)
        try await store.check()
        return Result(root: root.path, created: created, databaseKeyFromEnvironment: fromEnvironment)
    }
}
