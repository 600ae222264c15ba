import Foundation

/// The on-disk layout under the state root (`/opt/stevedore` by default, `STEVEDORE_ROOT`);
/// docs/STATE_LAYOUT.md describes each path.
public struct StateRoot: Sendable {
    /// The root directory.
    public let path: String

    /// A layout rooted at `path` (not created until ``createBaseDirectories()``).
    public init(path: String) { self.path = path }

    /// `system/`: database, keys, daemon files.
    public var system: String { path + "/system" }
    /// `system/stevedore.db`: the SQLCipher database.
    public var database: String { system + "/stevedore.db" }
    /// `system/db.key`: the generated database key (0600).
    public var databaseKey: String { system + "/db.key" }
    /// `system/admin.key`: the admin API bearer key (0600).
    public var adminKey: String { system + "/admin.key" }
    /// `system/git-worker-passwd`: the passwd(5) file of git workers of a daemon that is not
    /// root (``GitWorkerUser``), rewritten at every start.
    public var gitWorkerPasswd: String { system + "/git-worker-passwd" }
    /// `shared/`: shared between deployments (`STEVEDORE_SHARED`).
    public var shared: String { path + "/shared" }
    /// `deployments/<name>`.
    public func deployment(_ name: String) -> String { path + "/deployments/" + name }
    /// `deployments/<name>/repo`: the Git checkout Compose runs in.
    public func repo(_ name: String) -> String { deployment(name) + "/repo" }
    /// `deployments/<name>/data`: persistent data (`STEVEDORE_DATA`).
    public func data(_ name: String) -> String { deployment(name) + "/data" }
    /// `deployments/<name>/logs` (`STEVEDORE_LOGS`).
    public func logs(_ name: String) -> String { deployment(name) + "/logs" }
    /// `deployments/<name>/ssh` (0700): `known_hosts` (trusted on first use) and
    /// `deploy_key.pub`. Never a private key.
    public func ssh(_ name: String) -> String { deployment(name) + "/ssh" }
    /// `deployments/<name>/sync-in-progress`: present while an update of the checkout runs
    /// (and after one that did not finish); holds the commit to restore.
    public func syncMarker(_ name: String) -> String { deployment(name) + "/sync-in-progress" }

    /// Creates `system/` (0700), `shared/` and `deployments/`.
    ///
    /// - Throws: Foundation's file errors, naming the path.
    public func createBaseDirectories() throws {
        let fm = FileManager.default
        try fm.createDirectory(atPath: system, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        try fm.setAttributes([.posixPermissions: 0o700], ofItemAtPath: system)
        try fm.createDirectory(atPath: shared, withIntermediateDirectories: true)
        try fm.createDirectory(atPath: path + "/deployments", withIntermediateDirectories: true)
    }

    /// Creates `deployments/<name>/{data,logs}`.
    public func createDeploymentDirectories(_ name: String) throws {
        for dir in [data(name), logs(name)] {
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        }
    }
}
