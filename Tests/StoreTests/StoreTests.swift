import Foundation
import Testing

@testable import Store

/// A fresh directory per test, removed afterwards.
final class TempDir {
    let path: String
    init() {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("stevedore-store-\(UUID().uuidString)").path
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(atPath: path) }
}

func randomKey() -> [UInt8] { (0..<32).map { _ in UInt8.random(in: 0...255) } }

@Suite struct StateStoreTests {
    @Test func roundTripSurvivesReopening() async throws {
        let dir = TempDir()
        let key = randomKey()
        let path = dir.path + "/stevedore.db"
        do {
            let store = try StateStore(path: path, key: key)
            let record = DeploymentRecord(
                name: "hello", url: "/srv/hello.git", branch: "main", pollIntervalSeconds: 30, createdAt: 1_700_000_000)
            #expect(try await store.addDeployment(record))
            #expect(try await store.addDeployment(record) == false)  // duplicate: refused, nothing changed
            try await store.recordCheck("hello", remoteCommit: "abc")
            try await store.recordSync("hello", commit: "abc")
            try await store.recordDeploy("hello", commit: "abc")
            #expect(try await store.setParameter("hello", key: "TOKEN", value: "s3cr3t"))
            #expect(try await store.setParameter("hello", key: "TOKEN", value: "s3cr3t-2"))
            #expect(try await store.setParameter("nope", key: "X", value: "y") == false)
            try await store.setEnabled("hello", false)
            try await store.recordEvent(deployment: "hello", kind: "deploy", message: "deployed abc")
        }
        let reopened = try StateStore(path: path, key: key)
        let record = try #require(try await reopened.deployment(named: "hello"))
        #expect(record.url == "/srv/hello.git")
        #expect(record.pollIntervalSeconds == 30)
        #expect(record.enabled == false)
        let status = try await reopened.status(of: "hello")
        #expect(status.remoteCommit == "abc")
        #expect(status.deployedCommit == "abc")
        #expect(status.deployedAt != nil)
        #expect(try await reopened.parameters(of: "hello") == ["TOKEN": "s3cr3t-2"])
        #expect(try await reopened.events(deployment: "hello").map(\.message) == ["deployed abc"])
        #expect(try await reopened.removeDeployment("hello"))
        #expect(try await reopened.deployments().isEmpty)
        #expect(try await reopened.parameters(of: "hello").isEmpty)
    }

    @Test func fileIsEncryptedAndHoldsNoParameterInClear() async throws {
        let dir = TempDir()
        let path = dir.path + "/stevedore.db"
        let secret = "correct-horse-battery-staple-\(UUID().uuidString)"
        do {
            let store = try StateStore(path: path, key: randomKey())
            _ = try await store.addDeployment(
                DeploymentRecord(name: "app", url: "/x", branch: "main", pollIntervalSeconds: 60, createdAt: 0))
            try await store.setParameter("app", key: "PASSWORD", value: secret)
        }
        let bytes = try #require(FileManager.default.contents(atPath: path))
        #expect(bytes.count > 0)
        #expect(bytes.range(of: Data(secret.utf8)) == nil)
        #expect(bytes.range(of: Data("PASSWORD".utf8)) == nil)
        #expect(bytes.range(of: Data("SQLite format 3".utf8)) == nil)

        // Plain sqlite3 cannot read it.
        let sqlite = Process()
        sqlite.executableURL = URL(fileURLWithPath: "/usr/bin/sqlite3")
        sqlite.arguments = [path, "SELECT count(*) FROM sqlite_master;"]
        let errors = Pipe()
        sqlite.standardError = errors
        sqlite.standardOutput = Pipe()
        try sqlite.run()
        sqlite.waitUntilExit()
        let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(sqlite.terminationStatus != 0)
        #expect(message.contains("not a database"))
    }

    @Test func wrongKeyIsAClearError() async throws {
        let dir = TempDir()
        let path = dir.path + "/stevedore.db"
        _ = try StateStore(path: path, key: randomKey())
        #expect(throws: StoreError.wrongKey(path: path)) { try StateStore(path: path, key: randomKey()) }
        do {
            _ = try StateStore(path: path, key: randomKey())
        } catch {
            #expect(String(describing: error).hasPrefix("database key does not match \(path)"))
        }
    }

    @Test func keyOfWrongLengthIsRefused() {
        #expect(throws: StoreError.invalidKey("expected 32 bytes, got 3")) { try Connection(path: "/tmp/x.db", key: [1, 2, 3]) }
    }

    @Test func newerSchemaIsRefusedAndLeftAlone() throws {
        let dir = TempDir()
        let path = dir.path + "/stevedore.db"
        let key = randomKey()
        let connection = try Connection(path: path, key: key)
        try connection.execute("PRAGMA user_version = 99")
        connection.close()
        #expect(throws: StoreError.schemaTooNew(found: 99, supported: Schema.migrations.count)) { try StateStore(path: path, key: key) }
    }

    @Test func failedMigrationLeavesThePreviousVersion() throws {
        let dir = TempDir()
        let connection = try Connection(path: dir.path + "/m.db", key: randomKey())
        try Migrator(migrations: ["CREATE TABLE a (x INTEGER)"]).migrate(connection)
        #expect(throws: StoreError.self) {
            try Migrator(migrations: ["CREATE TABLE a (x INTEGER)", "CREATE TABLE b (y INTEGER); THIS IS NOT SQL"]).migrate(connection)
        }
        #expect(try connection.userVersion == 1)
        #expect(try connection.query("SELECT name FROM sqlite_master WHERE name = 'b'").isEmpty)
    }

    @Test func transactionRollsBackOnError() throws {
        let dir = TempDir()
        let connection = try Connection(path: dir.path + "/t.db", key: randomKey())
        try connection.execute("CREATE TABLE t (x INTEGER)")
        #expect(throws: StoreError.self) {
            try connection.transaction {
                try connection.run("INSERT INTO t VALUES (?)", [1])
                try connection.run("INSERT INTO nope VALUES (1)")
            }
        }
        #expect(try connection.query("SELECT count(*) FROM t").first?.int(0) == 0)
    }
}

@Suite struct DatabaseKeyTests {
    @Test func generatesAKeyFileWithMode0600Once() throws {
        let dir = TempDir()
        let file = dir.path + "/db.key"
        let key = try DatabaseKey.resolve(environment: [:], defaultFile: file, generate: true)
        #expect(key.count == 32)
        let attributes = try FileManager.default.attributesOfItem(atPath: file)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        #expect(try DatabaseKey.resolve(environment: [:], defaultFile: file, generate: true) == key)
    }

    @Test func environmentTakesPrecedence() throws {
        let dir = TempDir()
        let hex = String(repeating: "ab", count: 32)
        #expect(
            try DatabaseKey.resolve(environment: ["STEVEDORE_DB_KEY": hex], defaultFile: dir.path + "/db.key", generate: true)
                == [UInt8](repeating: 0xab, count: 32))
        #expect(!FileManager.default.fileExists(atPath: dir.path + "/db.key"))
        let keyFile = dir.path + "/other.key"
        try Data([UInt8](repeating: 7, count: 32)).write(to: URL(fileURLWithPath: keyFile))
        #expect(
            try DatabaseKey.resolve(environment: ["STEVEDORE_DB_KEY_FILE": keyFile], defaultFile: dir.path + "/db.key", generate: true)
                == [UInt8](repeating: 7, count: 32))
    }

    @Test(arguments: ["short", String(repeating: "zz", count: 32), String(repeating: "a", count: 65)])
    func malformedKeyInEnvironmentIsRefused(value: String) throws {
        do {
            _ = try DatabaseKey.resolve(environment: ["STEVEDORE_DB_KEY": value], defaultFile: "/nonexistent/db.key", generate: false)
            Issue.record("accepted \(value)")
        } catch let error as StoreError {
            #expect(error.description.contains("STEVEDORE_DB_KEY must be 64 hexadecimal characters"))
        }
    }

    @Test func concurrentCreatorsAgreeOnOneFile() throws {
        let dir = TempDir()
        let file = dir.path + "/secret"
        #expect(try SecretFile.createExclusive(path: file, contents: Data("one".utf8)))
        #expect(try SecretFile.createExclusive(path: file, contents: Data("two".utf8)) == false)
        #expect(FileManager.default.contents(atPath: file) == Data("one".utf8))
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["secret"])
    }
}

@Suite struct DeployKeyStoreTests {
    @Test func keyIsStoredWithItsDeploymentAndGoesWithIt() async throws {
        let dir = TempDir()
        let key = randomKey()
        let path = dir.path + "/stevedore.db"
        let seed = randomKey()
        let record = DeploymentRecord(
            name: "app", url: "git@github.com:o/r.git", branch: "main", pollIntervalSeconds: 60, createdAt: 1, clean: false)
        let deployKey = DeployKeyRecord(
            deployment: "app", keyType: "ssh-ed25519", privateSeed: seed, publicKey: "ssh-ed25519 AAAA stevedore:app", createdAt: 1)
        do {
            let store = try StateStore(path: path, key: key)
            #expect(try await store.addDeployment(record, deployKey: deployKey))
            // A duplicate name changes nothing, the key included.
            var other = deployKey
            other.privateSeed = randomKey()
            #expect(try await store.addDeployment(record, deployKey: other) == false)
        }
        let store = try StateStore(path: path, key: key)
        #expect(try await store.deployKey(of: "app") == deployKey)
        #expect(try await store.deployKeys().map(\.deployment) == ["app"])
        #expect(try await store.deployment(named: "app")?.clean == false)
        // The seed is not in the file in the clear (SQLCipher encrypts every page).
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        #expect(bytes.range(of: Data(seed)) == nil)
        #expect(try await store.removeDeployment("app"))
        #expect(try await store.deployKey(of: "app") == nil)
        #expect(try await store.deployKeys().isEmpty)
    }
}
