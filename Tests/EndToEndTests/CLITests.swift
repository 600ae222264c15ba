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
        // The commit it was built from (scripts/build-release.sh embeds it; a plain `swift build`
        // has none and says so).
        #expect(text.stdout.contains(" (commit "), "\(text.stdout)")
        let json = try runProgram(stevedoreBinary, ["version", "--json"])
        let object = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
        #expect(object?["version"] is String)
        // The commit's hex digits, or null for a build that recorded none (not "").
        #expect(object?["commit"] is String || object?["commit"] is NSNull, "\(json.stdout)")
        #expect(object?["commit"] as? String != "")
    }

    @Test func missingAdminKeySaysHowToStartTheDaemon() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("no-root-\(UUID().uuidString)").path
        let result = try runProgram(stevedoreBinary, ["status", "--root", root])
        #expect(result.status == 1)
        #expect(result.stderr.contains("admin key \(root)/system/admin.key not found"))
        #expect(result.stderr.contains("stevedore daemon"))
    }

    /// Reported by fresh-user trials: one bad setting made `doctor` print a single error and
    /// check nothing; a bad log level passed `doctor` but stopped the daemon; client commands
    /// failed on daemon-only settings.
    @Test func doctorChecksEverythingDespiteBadSettings() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("doctor-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        #expect(try runProgram(stevedoreBinary, ["init", "--root", root]).status == 0)
        for (name, value) in [
            ("STEVEDORE_LOG_LEVEL", "loud"), ("STEVEDORE_LISTEN_ADDR", "nonsense"), ("STEVEDORE_COMPOSE", "v9"),
            ("STEVEDORE_LIVENESS_DEADLINE", "1s"),
        ] {
            var env = ProcessInfo.processInfo.environment
            env[name] = value
            let result = try runProgram(stevedoreBinary, ["doctor", "--root", root, "--json"], environment: env)
            #expect(result.status == 1)
            let checks = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [[String: Any]] ?? []
            let settings = checks.first { $0["name"] as? String == "settings" }
            #expect(settings?["ok"] as? Bool == false, "\(name)=\(value)")
            #expect((settings?["detail"] as? String)?.contains("'\(value)'") == true)
            // The other checks still ran, with the valid settings (the given root).
            let state = checks.first { $0["name"] as? String == "state root" }
            #expect(state?["ok"] as? Bool == true && (state?["detail"] as? String)?.hasPrefix(root) == true, "\(checks)")
            #expect(checks.contains { $0["name"] as? String == "docker engine" })
        }
        // A daemon-only setting does not break client commands.
        var env = ProcessInfo.processInfo.environment
        env["STEVEDORE_FAULT_INJECTION"] = "garbage"
        let status = try runProgram(stevedoreBinary, ["status", "--root", root, "--listen", "127.0.0.1:1"], environment: env)
        #expect(!status.stderr.contains("STEVEDORE_FAULT_INJECTION"), "\(status.stderr)")
        #expect(status.stderr.contains("not running"))
        // …but the daemon refuses it, naming it.
        env["STEVEDORE_ROOT"] = root
        let daemon = try runProgram(stevedoreBinary, ["daemon"], environment: env)
        #expect(daemon.status == 1)
        #expect(daemon.stderr.contains("invalid STEVEDORE_FAULT_INJECTION 'garbage'"))
    }

    /// Reported by a fresh-user trial: `--json` commands printed errors as plain text. Now an
    /// error is one JSON object on stderr, with the same exit codes (1 error, 2 usage).
    @Test func jsonCommandsPrintErrorsAsJSON() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("json-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        #expect(try runProgram(stevedoreBinary, ["init", "--root", root]).status == 0)
        func object(_ text: String) throws -> [String: Any] {
            let lines = text.split(separator: "\n")
            #expect(lines.count == 1, "one line of JSON: \(text)")
            return try JSONSerialization.jsonObject(with: Data((lines.first ?? "").utf8)) as? [String: Any] ?? [:]
        }
        let down = try runProgram(stevedoreBinary, ["status", "--root", root, "--listen", "127.0.0.1:1", "--json"])
        #expect(down.status == 1)
        #expect(down.stdout.isEmpty)
        let error = try object(down.stderr)
        #expect((error["error"] as? String)?.contains("not running") == true, "\(down.stderr)")
        #expect(error["exitCode"] as? Int == 1)
        let usage = try runProgram(stevedoreBinary, ["repo", "add", "Bad Name", "/tmp/r.git", "--json"])
        #expect(usage.status == 2)
        let usageError = try object(usage.stderr)
        #expect((usageError["error"] as? String)?.contains("Bad Name") == true, "\(usage.stderr)")
        #expect(usageError["exitCode"] as? Int == 2)
        // Without --json: prose, as before.
        let plain = try runProgram(stevedoreBinary, ["status", "--root", root, "--listen", "127.0.0.1:1"])
        #expect(plain.stderr.hasPrefix("error: "))
    }
}
