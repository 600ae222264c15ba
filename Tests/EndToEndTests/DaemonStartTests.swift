import Foundation
import Testing

/// Starting the daemon on a state root: the root lock and the keys it finds.
@Suite(.serialized) struct DaemonStartTests {
    /// Found in an earlier trial (was `ReportedFaultsTests.aSecondDaemonOnTheSameRootIsRefused`).
    @Test func aSecondDaemonOnTheSameRootIsRefused() async throws {
        let s = try Scenario()
        defer { s.tearDown() }
        try await s.startDaemon()
        let second = try s.runDaemonToExit(environment: ["STEVEDORE_LISTEN_ADDR": "127.0.0.1:\(try freePort())"])
        #expect(second.status == 1)
        #expect(second.stderr.contains("another stevedore daemon (pid"), "\(second.stderr)")
        #expect(second.stderr.contains("is running on state root \(s.root)"))
    }

    /// Found in an earlier trial (was `ReportedFaultsTests.aMissingKeyFileIsNotReplacedByANewKey`).
    @Test func aMissingKeyFileIsNotReplacedByANewKey() async throws {
        let s = try Scenario()
        defer { s.tearDown() }
        try await s.startDaemon()
        s.stopDaemon()
        try FileManager.default.moveItem(atPath: s.root + "/system/db.key", toPath: s.dir + "/db.key.backup")
        let result = try s.runDaemonToExit()
        #expect(result.status == 1)
        #expect(result.stderr.contains("exists but its key \(s.root)/system/db.key is missing"), "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: s.root + "/system/db.key"))
        // Restoring the key brings the daemon back with its state.
        try FileManager.default.moveItem(atPath: s.dir + "/db.key.backup", toPath: s.root + "/system/db.key")
        try await s.startDaemon()
    }
}
