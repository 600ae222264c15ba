import Foundation
import Testing

/// A Pi that boots without network (issue 13, fault 7): the daemon starts while its Git remote
/// (a real sshd on 127.0.0.1, stopped) cannot be reached. The deployed containers keep
/// serving, `status` says why, the poller backs off (and shows it), and once the remote is
/// back the deployment follows its branch again without an operator.
@Suite(.serialized) struct NetworkAtBootTests {
    /// The seconds of the poller's `next try in N s` status, if it shows one.
    func nextTry(_ s: Scenario) throws -> Int? {
        let status = try s.node("deployments/\(s.name)/poller")?["status"] as? String ?? ""
        guard let range = status.range(of: "next try in ") else { return nil }
        return Int(status[range.upperBound...].prefix { $0.isNumber })
    }

    @Test("boot without the remote: workloads keep running, status says why, polling backs off visibly, recovers when it is back")
    func bootWithoutTheRemote() async throws {
        // Waits double from 5 s up to 20 s here (default 5 min).
        let s = try Scenario(environment: ["STEVEDORE_POLL_BACKOFF_MAX": "20s"])
        let server = try SSHGitServer()
        defer {
            s.tearDown()
            server.tearDown()
        }
        try await server.start()
        try await s.startDaemon()
        let added = try s.cli("repo", "add", s.name, server.url(s.remote), "--poll-interval", "10s")
        #expect(added.status == 0, "\(added.stderr)")
        let key =
            added.stdout.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.first { $0.hasPrefix("ssh-ed25519 ") } ?? ""
        try server.authorize(key)
        let up = try s.cli("deploy", "up", s.name)
        #expect(up.status == 0, "\(up.stdout)\(up.stderr)")
        try await waitUntil("v1 serves") { await httpGet(s.appURL)?.1 == "version 1\n" }

        // The machine reboots without network: the daemon stops, the remote goes away, the
        // daemon starts again (the containers run on, as Docker keeps them).
        let availability = FaultDrill.Availability(url: s.appURL) { $0 == "version 1\n" }
        s.stopDaemon()
        server.stop()
        try await s.startDaemon()

        // Status says why, in the tree and in `status`.
        try await waitUntil("the poller is degraded with the reason", limit: .seconds(120)) {
            let poller = try s.node("deployments/\(s.name)/poller")
            return poller?["state"] as? String == "degraded" && (poller?["reason"] as? String ?? "").contains("cannot be reached")
        }
        let reason = try s.node("deployments/\(s.name)/poller")?["reason"] as? String ?? ""
        #expect(reason.contains("Connection refused"), "\(reason)")
        // Polling backs off: the waits grow past the poll interval (10 s) to the cap (20 s).
        var waits: [Int] = []
        try await waitUntil("the poller backs off to 20 s", limit: .seconds(180)) {
            if let wait = try nextTry(s), waits.last != wait { waits.append(wait) }
            return waits.last == 20
        }
        // Reaching 20 s (twice the poll interval) is the backoff; how many of the earlier
        // steps a look sees depends on how fast the machine is, so only their order counts.
        #expect(waits == waits.sorted(), "\(waits)")
        let detail = try s.cli("status", s.name).stdout
        #expect(detail.contains("poller:     next try in"), "\(detail)")
        #expect(detail.contains("waits double up to 20 s"), "\(detail)")
        #expect(detail.contains("degraded:   poller: remote \(server.url(s.remote)) cannot be reached"), "\(detail)")
        #expect(detail.contains("last error: check: remote"), "\(detail)")
        let list = try s.cli("status").stdout
        #expect(list.contains("deployments/\(s.name)/poller degraded: remote"), "\(list)")
        // A degraded deployment keeps the daemon healthy for systemd, and nothing restarts.
        #expect(await httpGet(s.apiURL + "/healthz")?.0 == 200)
        let repairs = try FaultDrill.repairs(s)
        #expect(repairs.restarts == 0 && repairs.events.isEmpty, "\(repairs)")
        // `check` answers at once with the reason, without waiting for the backoff.
        let check = try s.cli("check", s.name)
        #expect(check.status != 0 && check.stderr.contains("cannot be reached"), "\(check.stderr)")
        #expect(availability.counts.failed == 0, "the workload stopped serving")

        // The network is back: the poller's next try works, the degraded state clears, and
        // the branch is followed again.
        try await server.start()
        let back = ContinuousClock.now
        try await waitUntil("the poller works again", limit: .seconds(120)) {
            let poller = try s.node("deployments/\(s.name)/poller")
            return poller?["state"] as? String == "running" && (poller?["status"] as? String ?? "").hasPrefix("up to date")
        }
        let recovered = ContinuousClock.now - back
        #expect(try s.deploymentStatus()["last_error"] == nil)
        availability.stop()
        let counts = availability.counts
        let pushed = ContinuousClock.now
        _ = try s.publish("version 2")
        try await waitUntil("v2 serves") { await httpGet(s.appURL)?.1 == "version 2\n" }
        FaultDrill.measure(
            fault: "no network at boot (remote down)", injected: 1, survived: 1, downtime: counts.downtime, lost: 0,
            reconverge: [recovered, ContinuousClock.now - pushed],
            note: "backoff waits seen \(waits) s; reconverge = remote back → poll works, then push → v2 serving")
    }
}
