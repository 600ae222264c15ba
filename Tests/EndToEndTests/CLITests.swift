import Foundation
import Testing

/// The CLI's own behaviour, without a daemon.
@Suite struct CLITests {
    @Test(arguments: [["--help"], ["deploy", "up", "--help"], ["repo", "add", "--help"], ["help", "status"]])
    func helpPrintsUsageAndExitsZero(arguments: [String]) throws {
        let result = try runProgram(stevedoreBinary, arguments)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("USAGE: stevedore"))
    }

    @Test func usageErrorsExitTwo() throws {
        let unknown = try runProgram(stevedoreBinary, ["bogus"])
        #expect(unknown.status == 2)
        #expect(unknown.stderr.contains("Unexpected argument 'bogus'"))
        let missing = try runProgram(stevedoreBinary, ["repo", "add", "hello"])
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("Missing expected argument '<url>'"))
        let interval = try runProgram(stevedoreBinary, ["repo", "add", "hello", "/tmp/r.git", "--poll-interval", "soon"])
        #expect(interval.status == 2)
        #expect(interval.stderr.contains("invalid --poll-interval 'soon'"))
    }

    @Test func badListenAddressIsAUsageError() throws {
        let result = try runProgram(stevedoreBinary, ["status", "--listen", "bogus"])
        #expect(result.status == 2)
        #expect(result.stderr.contains("invalid listen address 'bogus'"))
    }

    @Test func versionPrintsTheVersion() throws {
        let text = try runProgram(stevedoreBinary, ["version"])
        #expect(text.status == 0)
        #expect(text.stdout.hasPrefix("stevedore "))
        let json = try runProgram(stevedoreBinary, ["version", "--json"])
        let object = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: String]
        #expect(object?["version"] != nil)
    }

    @Test func missingAdminKeySaysHowToStartTheDaemon() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("no-root-\(UUID().uuidString)").path
        let result = try runProgram(stevedoreBinary, ["status", "--root", root])
        #expect(result.status == 1)
        #expect(result.stderr.contains("admin key \(root)/system/admin.key not found"))
        #expect(result.stderr.contains("stevedore daemon"))
    }
}
