/// Applies schema migrations in order, tracking progress in `PRAGMA user_version`.
///
/// Migration `i` (0-based) brings the schema from version `i` to `i + 1`; each runs in its
/// own transaction together with the version bump, so a failure leaves the previous version
/// intact.
public struct Migrator {
    /// SQL scripts, one per version step.
    public let migrations: [String]

    /// - Parameter migrations: SQL scripts, index `i` upgrading version `i` to `i + 1`.
    public init(migrations: [String]) { self.migrations = migrations }

    /// Brings `connection` to the latest version.
    ///
    /// - Throws: ``StoreError/schemaTooNew(found:supported:)`` if the file is newer than we know,
    ///   or the failing migration's ``StoreError/sqlite(code:message:sql:)``.
    public func migrate(_ connection: Connection) throws {
        let current = try connection.userVersion
        guard current <= migrations.count else {
            throw StoreError.schemaTooNew(found: current, supported: migrations.count)
        }
        for version in current..<migrations.count {
            try connection.transaction {
                try connection.execute(migrations[version])
                try connection.execute("PRAGMA user_version = \(version + 1)")
            }
        }
    }
}
