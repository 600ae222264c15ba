import Foundation

/// The encrypted state database (`<root>/system/stevedore.db`): deployments, their
/// sync/deploy status, parameters (secrets) and the event history. The one source of truth.
///
/// An actor owning one ``Connection``; every multi-statement change runs in a transaction.
public actor StateStore {
    /// The database file.
    public nonisolated let path: String
    /// Writes the filesystem refused (full or read-only) and whether that still holds.
    public nonisolated let faults = StorageFaults()
    private let key: [UInt8]
    private var connection: Connection?
    /// The database file the handle was opened on (`st_dev`, `st_ino`): a repaired filesystem
    /// mounted anew shows a different one (``reopenIfReplaced()``).
    private var openedFile: FileIdentity?
    /// Runs opened by this store: their wall-clock start and a monotonic instant, so an end
    /// time is the start plus the elapsed monotonic time (a clock jump during a run cannot
    /// give it a negative or years-long duration).
    var runStarts: [Int64: (wall: Double, instant: ContinuousClock.Instant)] = [:]
    /// Ends of runs the filesystem refused to record (``finishRun(_:targetCommit:outcome:reason:)``
    /// during a storage fault), written by the next successful ``probeWrite()``.
    var unrecordedRunEnds: [Int64: UnrecordedRunEnd] = [:]
    /// ``closeInterruptedRuns()`` was refused at start-up; the next successful ``probeWrite()`` does it.
    var interruptedRunsPending = false

    /// A run's end that could not be written yet.
    struct UnrecordedRunEnd {
        var targetCommit: String?
        var endedAt: Double
        var outcome: String
        var reason: String?
    }

    /// Opens (creating and migrating as needed) the database at `path`.
    ///
    /// - Throws: ``StoreError/wrongKey(path:)`` when `key` does not fit the existing file,
    ///   ``StoreError/schemaTooNew(found:supported:)``, ``StoreError/sqlite(code:message:sql:)``.
    public init(path: String, key: [UInt8]) throws {
        self.path = path
        self.key = key
        let connection = try Connection(path: path, key: key)
        connection.faults = faults
        try Migrator(migrations: Schema.migrations).migrate(connection)
        self.connection = connection
        openedFile = FileIdentity(path)
    }

    /// A file as the kernel knows it: device and inode (`stat(2)`).
    struct FileIdentity: Equatable {
        var device: UInt64
        var inode: UInt64

        /// `nil` if `path` cannot be stat'ed.
        init?(_ path: String) {
            var info = stat()
            guard stat(path, &info) == 0 else { return nil }
            device = UInt64(info.st_dev)
            inode = UInt64(info.st_ino)
        }
    }

    /// Reopens the handle only if the database file at ``path`` is another file than the
    /// one it was opened on (another device or inode: the filesystem was repaired and mounted
    /// anew); returns whether it did.
    ///
    /// Reopening the same file while it stays read-only cannot help, and it leaks: SQLite's
    /// unix VFS defers closing a handle's descriptor while another handle of the process
    /// holds a POSIX lock on the same inode (in WAL mode every open handle keeps a shared
    /// lock), so each reopen left one descriptor behind, until the daemon ran out of them
    /// (a trial: 32 → 161 descriptors in 9 minutes, then its API died of `EMFILE`).
    ///
    /// - Throws: the errors of ``reopen()``.
    @discardableResult
    public func reopenIfReplaced() throws -> Bool {
        guard connection == nil || FileIdentity(path) != openedFile else { return false }
        try reopen()
        return true
    }

    /// Closes the handle and opens it again (the `store` child does this when a health check
    /// fails, and when a read-only filesystem may have been replaced by a writable mount).
    ///
    /// - Throws: ``StoreError/io(_:)`` if the database file is not there (e.g. its filesystem
    ///   is not mounted right now: a new, empty database must never take its place; the old
    ///   handle stays open for reads and a later call tries again; so it does when the new
    ///   handle cannot be opened), or the errors of ``init(path:key:)``.
    public func reopen() throws {
        guard FileManager.default.fileExists(atPath: path) else {
            throw StoreError.io("state database \(path) is not there (is its filesystem mounted?)")
        }
        // The new handle first: if it cannot be opened, the old one stays (reads may still work).
        let fresh = try Connection(path: path, key: key)
        fresh.faults = faults
        try Migrator(migrations: Schema.migrations).migrate(fresh)
        connection?.close()
        connection = fresh
        openedFile = FileIdentity(path)
    }

    /// Closes the handle now (later calls throw, as on a closed ``Connection``). For whoever
    /// must be sure the database file is no longer open or mapped at a given moment (e.g.
    /// before its filesystem goes away); otherwise the handle closes with the store.
    public func close() {
        connection?.close()
        connection = nil
    }

    /// A cheap query proving the handle works.
    ///
    /// - Throws: ``StoreError`` if it does not.
    public func check() throws {
        _ = try db().query("SELECT count(*) FROM deployments")
    }

    /// Proves that the database can be written again after a storage fault: one real write
    /// transaction (`PRAGMA user_version` set to its own value: the header page is journaled,
    /// written and synced like any change). On success it clears ``faults`` and writes what
    /// was refused meanwhile: the ends of runs (``finishRun(_:targetCommit:outcome:reason:)``)
    /// and the closing of runs interrupted by an earlier daemon (``closeInterruptedRuns()``).
    ///
    /// Called by the `store` child while ``faults`` reports a fault; a write per call, so
    /// not meant for a healthy store.
    ///
    /// - Throws: ``StoreError/diskFull(directory:)``, ``StoreError/readOnly(directory:)``
    ///   or another ``StoreError`` while the database still cannot be written.
    public func probeWrite() throws {
        let db = try db()
        let version = try db.userVersion
        try db.execute("PRAGMA user_version = \(version)")
        faults.clear()
        for (id, end) in unrecordedRunEnds.sorted(by: { $0.key < $1.key }) {
            try writeRunEnd(id, end)
            unrecordedRunEnds[id] = nil
        }
        if interruptedRunsPending {
            try closeInterruptedRuns()
        }
    }

    func db() throws -> Connection {
        guard let connection else { throw StoreError.io("state database is not open") }
        return connection
    }

    static var now: Double { Date().timeIntervalSince1970 }

    // MARK: Deployments

    /// Registers a deployment and an empty status row, atomically.
    ///
    /// - Returns: `false` (and changes nothing) if a deployment of that name exists.
    ///
    /// - Parameter deployKey: the deployment's deploy key, stored in the same transaction.
    public func addDeployment(_ record: DeploymentRecord, deployKey: DeployKeyRecord? = nil) throws -> Bool {
        let db = try db()
        return try db.transaction {
            guard try db.query("SELECT 1 FROM deployments WHERE name = ?", [.text(record.name)]).isEmpty else { return false }
            try db.run(
                "INSERT INTO deployments (name, url, branch, enabled, poll_interval_seconds, created_at, clean) VALUES (?, ?, ?, ?, ?, ?, ?)",
                [
                    .text(record.name), .text(record.url), .text(record.branch), .integer(record.enabled ? 1 : 0),
                    .integer(Int64(record.pollIntervalSeconds)), .real(record.createdAt), .integer(record.clean ? 1 : 0),
                ])
            try db.run("INSERT INTO deployment_status (name) VALUES (?)", [.text(record.name)])
            if let key = deployKey {
                try db.run(
                    "INSERT INTO deploy_keys (deployment, key_type, private_seed, public_key, created_at) VALUES (?, ?, ?, ?, ?)",
                    [.text(record.name), .text(key.keyType), .blob(key.privateSeed), .text(key.publicKey), .real(key.createdAt)])
            }
            return true
        }
    }

    /// The deploy key of `deployment`, if it has one.
    public func deployKey(of deployment: String) throws -> DeployKeyRecord? {
        try db().query(
            "SELECT deployment, key_type, private_seed, public_key, created_at FROM deploy_keys WHERE deployment = ?",
            [.text(deployment)]
        ).first.map(Self.deployKey(from:))
    }

    /// Every deploy key, by deployment name (the agent loads them at start).
    public func deployKeys() throws -> [DeployKeyRecord] {
        try db().query("SELECT deployment, key_type, private_seed, public_key, created_at FROM deploy_keys ORDER BY deployment")
            .map(Self.deployKey(from:))
    }

    /// Stores (or replaces) the deploy key of an existing deployment.
    ///
    /// - Returns: `false` if there is no such deployment.
    @discardableResult
    public func setDeployKey(_ key: DeployKeyRecord) throws -> Bool {
        let db = try db()
        return try db.transaction {
            guard try db.query("SELECT 1 FROM deployments WHERE name = ?", [.text(key.deployment)]).first != nil else { return false }
            try db.run("DELETE FROM deploy_keys WHERE deployment = ?", [.text(key.deployment)])
            try db.run(
                "INSERT INTO deploy_keys (deployment, key_type, private_seed, public_key, created_at) VALUES (?, ?, ?, ?, ?)",
                [.text(key.deployment), .text(key.keyType), .blob(key.privateSeed), .text(key.publicKey), .real(key.createdAt)])
            return true
        }
    }

    private static func deployKey(from row: Row) -> DeployKeyRecord {
        DeployKeyRecord(
            deployment: row.string(0) ?? "", keyType: row.string(1) ?? "", privateSeed: row.bytes(2) ?? [],
            publicKey: row.string(3) ?? "", createdAt: row.double(4) ?? 0)
    }

    /// All deployments, by name.
    public func deployments() throws -> [DeploymentRecord] {
        try db().query("SELECT name, url, branch, enabled, poll_interval_seconds, created_at, clean FROM deployments ORDER BY name")
            .map(Self.deployment(from:))
    }

    /// The deployment called `name`, if registered.
    public func deployment(named name: String) throws -> DeploymentRecord? {
        try db().query(
            "SELECT name, url, branch, enabled, poll_interval_seconds, created_at, clean FROM deployments WHERE name = ?", [.text(name)]
        )
        .first.map(Self.deployment(from:))
    }

    private static func deployment(from row: Row) -> DeploymentRecord {
        DeploymentRecord(
            name: row.string(0) ?? "", url: row.string(1) ?? "", branch: row.string(2) ?? "",
            enabled: row.bool(3), pollIntervalSeconds: row.int(4) ?? 300, createdAt: row.double(5) ?? 0, clean: row.bool(6))
    }

    /// Sets the `enabled` flag (`deploy down` clears it, `deploy up` sets it).
    ///
    /// - Returns: `false` if there is no such deployment.
    @discardableResult
    public func setEnabled(_ name: String, _ enabled: Bool) throws -> Bool {
        try db().run("UPDATE deployments SET enabled = ? WHERE name = ?", [.integer(enabled ? 1 : 0), .text(name)]) > 0
    }

    /// Sets the seconds between remote checks of `name`.
    ///
    /// - Returns: `false` if there is no such deployment.
    @discardableResult
    public func setPollInterval(_ name: String, seconds: Int) throws -> Bool {
        try db().run("UPDATE deployments SET poll_interval_seconds = ? WHERE name = ?", [.integer(Int64(seconds)), .text(name)]) > 0
    }

    /// Deletes a deployment with its status, parameters and deploy key, in one transaction.
    ///
    /// - Returns: `false` if there was no such deployment.
    @discardableResult
    public func removeDeployment(_ name: String) throws -> Bool {
        let db = try db()
        return try db.transaction {
            try db.run("DELETE FROM parameters WHERE deployment = ?", [.text(name)])
            try db.run("DELETE FROM deploy_keys WHERE deployment = ?", [.text(name)])
            try db.run("DELETE FROM runs WHERE deployment = ?", [.text(name)])
            try db.run("DELETE FROM webhook_secrets WHERE deployment = ?", [.text(name)])
            try db.run("DELETE FROM webhook_deliveries WHERE deployment = ?", [.text(name)])
            try db.run("DELETE FROM deployment_status WHERE name = ?", [.text(name)])
            return try db.run("DELETE FROM deployments WHERE name = ?", [.text(name)]) > 0
        }
    }

    // MARK: Status

    /// The status row of `name` (empty if never checked).
    public func status(of name: String) throws -> DeploymentStatusRecord {
        let rows = try db().query(
            """
            SELECT last_checked_at, remote_commit, synced_commit, synced_at, deployed_commit, deployed_at,
                   last_error, last_error_at, failed_commit FROM deployment_status WHERE name = ?
            """, [.text(name)])
        var status = DeploymentStatusRecord(name: name)
        guard let row = rows.first else { return status }
        status.lastCheckedAt = row.double(0)
        status.remoteCommit = row.string(1)
        status.syncedCommit = row.string(2)
        status.syncedAt = row.double(3)
        status.deployedCommit = row.string(4)
        status.deployedAt = row.double(5)
        status.lastError = row.string(6)
        status.lastErrorAt = row.double(7)
        status.failedCommit = row.string(8)
        return status
    }

    /// Records a remote check that saw `commit` at the head of the branch.
    public func recordCheck(_ name: String, remoteCommit: String) throws {
        try db().run(
            "UPDATE deployment_status SET last_checked_at = ?, remote_commit = ? WHERE name = ?",
            [.real(Self.now), .text(remoteCommit), .text(name)])
    }

    /// Records that the checkout now holds `commit`.
    public func recordSync(_ name: String, commit: String) throws {
        try db().run(
            "UPDATE deployment_status SET synced_commit = ?, synced_at = ?, last_error = NULL, last_error_at = NULL WHERE name = ?",
            [.text(commit), .real(Self.now), .text(name)])
    }

    /// Records that `commit` was brought up with Compose.
    public func recordDeploy(_ name: String, commit: String) throws {
        try db().run(
            "UPDATE deployment_status SET deployed_commit = ?, deployed_at = ?, last_error = NULL, last_error_at = NULL WHERE name = ?",
            [.text(commit), .real(Self.now), .text(name)])
    }

    /// Records (or, with `nil`, clears) the last error.
    public func recordError(_ name: String, _ message: String?) throws {
        try db().run(
            "UPDATE deployment_status SET last_error = ?, last_error_at = ? WHERE name = ?",
            [.optional(message), message == nil ? .null : .real(Self.now), .text(name)])
    }

    // MARK: Parameters

    /// Sets parameter `key` of `deployment` to `value` (replacing any earlier value and its
    /// public mark).
    ///
    /// - Parameter isPublic: the value may appear in logs (not redacted by the log streamer).
    /// - Returns: `false` if there is no such deployment.
    @discardableResult
    public func setParameter(_ deployment: String, key: String, value: String, isPublic: Bool = false) throws -> Bool {
        let db = try db()
        return try db.transaction {
            guard try db.query("SELECT 1 FROM deployments WHERE name = ?", [.text(deployment)]).first != nil else { return false }
            // SQLite 3.15 has no UPSERT: delete then insert, in one transaction.
            try db.run("DELETE FROM parameters WHERE deployment = ? AND key = ?", [.text(deployment), .text(key)])
            try db.run(
                "INSERT INTO parameters (deployment, key, value, updated_at, public) VALUES (?, ?, ?, ?, ?)",
                [.text(deployment), .text(key), .blob(Array(value.utf8)), .real(Self.now), .integer(isPublic ? 1 : 0)])
            return true
        }
    }

    /// All parameters of `deployment`, by key.
    public func parameters(of deployment: String) throws -> [String: String] {
        var result: [String: String] = [:]
        for row in try db().query("SELECT key, value FROM parameters WHERE deployment = ?", [.text(deployment)]) {
            if let key = row.string(0) { result[key] = row.string(1) ?? "" }
        }
        return result
    }

    /// The parameters of `deployment` that are secrets (not marked public), by key: what the
    /// log streamer redacts.
    public func secretParameters(of deployment: String) throws -> [String: String] {
        var result: [String: String] = [:]
        for row in try db().query("SELECT key, value FROM parameters WHERE deployment = ? AND public = 0", [.text(deployment)]) {
            if let key = row.string(0) { result[key] = row.string(1) ?? "" }
        }
        return result
    }

    /// Keys of `deployment`'s parameters marked public, sorted.
    public func publicParameterKeys(of deployment: String) throws -> [String] {
        try db().query("SELECT key FROM parameters WHERE deployment = ? AND public = 1 ORDER BY key", [.text(deployment)]).compactMap {
            $0.string(0)
        }
    }

    /// Removes parameter `key`. - Returns: `false` if it was not set.
    @discardableResult
    public func unsetParameter(_ deployment: String, key: String) throws -> Bool {
        try db().run("DELETE FROM parameters WHERE deployment = ? AND key = ?", [.text(deployment), .text(key)]) > 0
    }

    // MARK: Events

    /// Events kept: older ones are deleted as new ones arrive.
    public static let eventRetention = 10_000

    /// Appends an event to the history (keeping the newest ``eventRetention``).
    public func recordEvent(deployment: String?, kind: String, message: String) throws {
        let db = try db()
        try db.run(
            "INSERT INTO events (at, deployment, kind, message) VALUES (?, ?, ?, ?)",
            [.real(Self.now), .optional(deployment), .text(kind), .text(message)])
        try db.run("DELETE FROM events WHERE id <= last_insert_rowid() - ?", [.integer(Int64(Self.eventRetention))])
    }

    /// The newest `limit` events (of one deployment, if given), newest first.
    public func events(deployment: String? = nil, limit: Int = 50) throws -> [EventRecord] {
        let rows: [Row]
        if let deployment {
            rows = try db().query(
                "SELECT id, at, deployment, kind, message FROM events WHERE deployment = ? ORDER BY id DESC LIMIT ?",
                [.text(deployment), .integer(Int64(limit))])
        } else {
            rows = try db().query("SELECT id, at, deployment, kind, message FROM events ORDER BY id DESC LIMIT ?", [.integer(Int64(limit))])
        }
        return rows.map {
            EventRecord(
                id: $0.int64(0) ?? 0, at: $0.double(1) ?? 0, deployment: $0.string(2), kind: $0.string(3) ?? "", message: $0.string(4) ?? ""
            )
        }
    }
}
