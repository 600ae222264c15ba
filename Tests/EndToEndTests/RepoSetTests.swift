import Foundation
import Testing

/// `repo set NAME --poll-interval` (issue 6): at least 10 s, effective at once.
@Suite struct RepoSetTests {
    @Test func pollIntervalChangesAtOnceAndHasAFloor() async throws {
        let s = try Scenario()
        defer { s.tearDown() }
        try await s.startDaemon()
        let tooShort = try s.cli("repo", "add", s.name, s.remote, "--poll-interval", "5s")
        #expect(tooShort.status != 0)
        #expect(tooShort.stderr.contains("from 10 s"), "\(tooShort.stderr)")
        #expect(try s.cli("repo", "add", s.name, s.remote, "--poll-interval", "1h").status == 0)
        try await waitUntil("v1 answers") { await httpGet(s.appURL)?.1 == "version 1\n" }
        try s.publish("version 2")
        // With 1 h between checks nothing would happen; the new interval applies now.
        #expect(try s.cli("repo", "set", s.name, "--poll-interval", "5s").status != 0)
        let set = try s.cli("repo", "set", s.name, "--poll-interval", "10s")
        #expect(set.status == 0, "\(set.stderr)")
        #expect(set.stdout.contains("polled every 10 s"))
        try await waitUntil("v2 answers after repo set") { await httpGet(s.appURL)?.1 == "version 2\n" }
        let records = try s.json("repo", "list") as? [[String: Any]] ?? []
        #expect(records.first { $0["name"] as? String == s.name }?["poll_interval_seconds"] as? Int == 10)
        #expect(try s.cli("repo", "set", "nope", "--poll-interval", "1m").stderr.contains("no deployment named 'nope'"))
    }

    /// Found in an earlier trial (was `ReportedFaultsTests.pollIntervalIsHonouredFromTheCLIAndTheAPI`).
    @Test func pollIntervalIsHonouredFromTheCLIAndTheAPI() async throws {
        let s = try Scenario()
        defer { s.tearDown() }
        try await s.startDaemon()
        #expect(try s.cli("repo", "add", "slow", s.remote, "--poll-interval", "1h").status == 0)
        #expect(try s.json("status", "slow") as? [String: Any] != nil)
        let slow = try s.json("status", "slow") as? [String: Any]
        #expect(slow?["poll_interval_seconds"] as? Int == 3600)
        // The documented snake_case field, as a number of seconds.
        let body = try runProgram(
            "/usr/bin/curl",
            [
                "-s", "-X", "POST", "-H", "Authorization: Bearer \(s.adminKey)",
                "-d", #"{"name":"numeric","url":"\#(s.remote)","poll_interval":120}"#,
                s.apiURL + "/api/repos",
            ])
        #expect(body.stdout.contains(#""poll_interval_seconds":120"#), "\(body.stdout)")
        for name in ["slow", "numeric"] { _ = try s.cli("deploy", "down", name) }
    }
}
