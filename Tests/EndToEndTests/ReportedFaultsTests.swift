import Foundation
import Testing

/// Inputs reported broken by a new user's trial (first slice), each a test case.
@Suite(.serialized) struct ReportedFaultsTests {
    @Test func pollIntervalIsHonouredFromTheCLIAndTheAPI() async throws {
        let s = try Scenario()
        defer { s.tearDown() }
        try await s.startDaemon()
        #expect(try s.cli("repo", "add", "slow", s.remote, "--poll-interval", "1h").status == 0)
        #expect(try s.json("status", "slow") as? [String: Any] != nil)
        let slow = try s.json("status", "slow") as? [String: Any]
        #expect(slow?["poll_interval_seconds"] as? Int == 3600)
        // The documented snake_case field, as a number of seconds.
        let body = try runProgram("/usr/bin/curl", ["-s", "-X", "POST", "-H", "Authorization: Bearer \(s.adminKey)",
                                                    "-d", #"{"name":"numeric","url":"\#(s.remote)","poll_interval":120}"#,
                                                    s.apiURL + "/api/repos"])
        #expect(body.stdout.contains(#""poll_interval_seconds":120"#), "\(body.stdout)")
        for name in ["slow", "numeric"] { _ = try s.cli("deploy", "down", name) }
    }

    @Test func downWorksWhenTheComposeFileIsGone() async throws {
        let s = try Scenario()
        defer { s.tearDown() }
        try await s.startDaemon()
        #expect(try s.cli("repo", "add", s.name, s.remote).status == 0)
        try await waitUntil("app answers") { await httpGet(s.appURL)?.1 == "version 1\n" }
        let renamed = try s.commitChange("git mv compose.yaml renamed.yaml", message: "no compose file")
        // The pipeline refuses it and keeps the checkout on the running commit…
        try await waitUntil("the commit without a Compose file is refused") {
            let run = try s.history().first
            return run?["target_commit"] as? String == renamed && run?["outcome"] as? String == "refused"
        }
        #expect((try s.history().first?["reason"] as? String)?.contains("no Compose file") == true)
        // …but a checkout without one (removed by hand) must still come down.
        try FileManager.default.removeItem(atPath: s.root + "/deployments/\(s.name)/repo/compose.yaml")
        let down = try s.cli("deploy", "down", s.name)
        #expect(down.status == 0, "\(down.stderr)")
        #expect(try s.containers().isEmpty)
        #expect(try s.deploymentStatus()["enabled"] as? Bool == false)
    }

    @Test func reconcilerBringsBackTheDeployedVersionAfterABrokenCommit() async throws {
        let s = try Scenario()
        defer { s.tearDown() }
        try await s.startDaemon()
        #expect(try s.cli("repo", "add", s.name, s.remote).status == 0)
        try await waitUntil("app answers") { await httpGet(s.appURL)?.1 == "version 1\n" }
        let broken = try s.commitChange("printf '\\nRUN exit 4\\n' >> Dockerfile", message: "broken build")
        try await waitUntil("the broken commit is rolled back") {
            let run = try s.history().first
            return run?["target_commit"] as? String == broken && run?["outcome"] as? String == "rolled_back"
        }
        let container = try #require(try s.containers(all: false).first)
        try sh("docker stop \(container) >/dev/null")
        try await waitUntil("version 1 answers again") { await httpGet(s.appURL)?.1 == "version 1\n" }
    }

    @Test func oneShotServicesThatCompletedAreNotRerun() async throws {
        let s = try Scenario()
        defer { s.tearDown() }
        let compose = try String(contentsOfFile: s.source + "/compose.yaml", encoding: .utf8) + "\n" + """
              migrate:
                image: stevedore/busybox:latest
                init: true
                command: ["sh", "-c", "echo migrated"]

            """
        try s.commitFile("compose.yaml", compose, message: "add a one-shot service")
        try await s.startDaemon()
        #expect(try s.cli("repo", "add", s.name, s.remote).status == 0)
        try await waitUntil("healthy with the one-shot completed") {
            (try s.deploymentStatus()["health"] as? [String: Any])?["state"] as? String == "healthy"
        }
        // A reconciler pass that found nothing to restart.
        try await waitUntil("reconciler sees everything in order") {
            try s.node("deployments/\(s.name)/reconciler")?["status"] as? String == "containers running"
        }
        let events = try runProgram("/usr/bin/curl", ["-s", "-H", "Authorization: Bearer \(s.adminKey)",
                                                      s.apiURL + "/api/events?deployment=\(s.name)"])
        #expect(!events.stdout.contains("reconcile"), "\(events.stdout)")
    }

    @Test func aSecondDaemonOnTheSameRootIsRefused() async throws {
        let s = try Scenario()
        defer { s.tearDown() }
        try await s.startDaemon()
        let second = try s.runDaemonToExit(environment: ["STEVEDORE_LISTEN_ADDR": "127.0.0.1:\(try freePort())"])
        #expect(second.status == 1)
        #expect(second.stderr.contains("another stevedore daemon (pid"), "\(second.stderr)")
        #expect(second.stderr.contains("is running on state root \(s.root)"))
    }

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
