import Foundation
import Services
import Testing

/// A Pi has no real-time clock: it boots with the time it last saved and NTP then moves the
/// wall clock by years, and a correction can set it back by hours (issue 13, fault 5). The
/// daemon runs under libfaketime (Debian's `faketime` package) with its wall clock read from a
/// file that the test rewrites; the monotonic clocks are not faked
/// (`FAKETIME_DONT_FAKE_MONOTONIC=1`), as on a real machine. Every timer, window and deadline
/// of the daemon runs on the monotonic clock, so nothing may move: no restart, no liveness
/// action (`hung`), no withheld systemd watchdog ping, no backoff, and the history stays in
/// the order the runs happened (by id), whatever their wall-clock times say.
@Suite(.serialized) struct ClockJumpTests {
    /// POSTs a GitHub push delivery signed with `secret`; returns the status and body.
    func postWebhook(_ s: Scenario, secret: String, delivery: String, after: String) throws -> (Int, String) {
        let body = #"{"ref":"refs/heads/main","after":"\#(after)","repository":{"full_name":"o/r"}}"#
        let signature = WebhookVerifier.signature(body: Data(body.utf8), secret: secret)
        let result = try runProgram(
            "/usr/bin/curl",
            [
                "-s", "-o", "-", "-w", "\n%{http_code}", "-X", "POST", "-H", "Content-Type: application/json", "--data-binary", body,
                "-H", "X-GitHub-Event: push", "-H", "X-GitHub-Delivery: \(delivery)", "-H", "X-Hub-Signature-256: sha256=\(signature)",
                "\(s.apiURL)/hooks/github/\(s.name)",
            ])
        let lines = result.stdout.split(separator: "\n", omittingEmptySubsequences: false)
        return (Int(lines.last ?? "") ?? 0, lines.dropLast().joined(separator: "\n"))
    }

    @Test("the wall clock jumps forward by years and back by hours: nothing restarts, no liveness or watchdog action, history in run order")
    func wallClockJumps() async throws {
        let library = try sh("ls /usr/lib/*/faketime/libfaketimeMT.so.1 2>/dev/null | head -1; true")
        #expect(!library.isEmpty, "libfaketime is missing: run scripts/setup.sh (Debian package faketime)")
        guard !library.isEmpty else { return }
        let clockFile = FileManager.default.temporaryDirectory.appendingPathComponent("stevedore-clock-\(UUID().uuidString.prefix(8))").path
        try "+0\n".write(toFile: clockFile, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: clockFile) }
        let extra = [
            "LD_PRELOAD": library, "FAKETIME_TIMESTAMP_FILE": clockFile, "FAKETIME_DONT_FAKE_MONOTONIC": "1",
            "FAKETIME_CACHE_DURATION": "1",
            // systemd's watchdog (pings every 2 s) and short liveness deadlines: a deadline or
            // window on the wall clock would fire at the first jump.
            "WATCHDOG_USEC": "4000000", "STEVEDORE_LIVENESS_DEADLINE": "8s",
        ]
        let s = try Scenario()
        defer { s.tearDown() }
        let (socket, recorder, listener) = try SystemdNotifyTests.listen(s.dir + "/notify.sock")
        defer {
            listener.cancel()
            socket.close()
        }
        let daemon = try SystemdNotifyTests.startDaemon(s, notifySocket: socket.path, extra: extra)
        defer {
            if daemon.isRunning {
                daemon.terminate()
                daemon.waitUntilExit()
            }
        }
        do {
            try await waitUntil("READY=1", limit: .seconds(120)) { await recorder.readyCount > 0 }
        } catch {
            Issue.record("no READY=1 under libfaketime: \(s.daemonLog().suffix(4000))")
            throw error
        }
        do {
            #expect(try s.cli("repo", "add", s.name, s.remote).status == 0)
            try await waitUntil("v1 serves", limit: .seconds(180)) { await httpGet(s.appURL)?.1 == "version 1\n" }
            try await waitUntil("the first run is recorded") { try s.history(limit: 1).first?["outcome"] != nil }
            let secret = try (s.json("repo", "webhook", s.name) as? [String: Any])?["secret"] as? String ?? ""
            let v1 = try sh("git -C '\(s.source)' rev-parse HEAD")
            let first = try postWebhook(s, secret: secret, delivery: "before-the-jump", after: v1)
            #expect(first.0 == 202, "\(first)")
            let baseline = try FaultDrill.repairs(s)
            let availability = FaultDrill.Availability(url: s.appURL)
            // /healthz every second, answered 200 throughout.
            final class Health: @unchecked Sendable { var bad: [String] = [] }
            let health = Health()
            let sampler = Task {
                while !Task.isCancelled {
                    let answer = await httpGet(s.apiURL + "/healthz")
                    if answer?.0 != 200 { health.bad.append("\(answer?.0 ?? 0) \(answer?.1 ?? "")") }
                    try? await Task.sleep(for: .seconds(1))
                }
            }
            defer { sampler.cancel() }

            // The daemon's clock, as it records it: the poller stores each check's time (every 2 s).
            func daemonClock() throws -> Double { try s.deploymentStatus()["last_checked_at"] as? Double ?? 0 }
            func jump(_ offset: String, _ reached: @escaping (Double) -> Bool) async throws {
                try "\(offset)\n".write(toFile: clockFile, atomically: true, encoding: .utf8)
                try await waitUntil("the daemon's clock at \(offset)", limit: .seconds(60)) { reached(try daemonClock()) }
            }
            let real = Date().timeIntervalSince1970
            let year = 365.0 * 86_400
            var reconverge: [Duration] = []

            // 1. Forward by three years (NTP after a boot without RTC).
            try await jump("+3y") { $0 > real + 2 * year }
            let pingsAtJump = await recorder.pings.count
            var pushed = ContinuousClock.now
            let v2 = try s.publish("version 2")
            try await waitUntil("v2 serves", limit: .seconds(180)) { await httpGet(s.appURL)?.1 == "version 2\n" }
            reconverge.append(ContinuousClock.now - pushed)
            // Replay protection does not forget a delivery because it looks three years old.
            let replay = try postWebhook(s, secret: secret, delivery: "before-the-jump", after: v2)
            #expect(replay.0 == 200 && replay.1.contains("\"duplicate\""), "\(replay)")

            // 2. Back by five hours (a correction).
            let ahead = try daemonClock()
            try await jump("+\(Int(3 * year) - 5 * 3600)") { $0 < ahead - 3600 }
            pushed = ContinuousClock.now
            let v3 = try s.publish("version 3")
            try await waitUntil("v3 serves", limit: .seconds(180)) { await httpGet(s.appURL)?.1 == "version 3\n" }
            reconverge.append(ContinuousClock.now - pushed)
            // A quiet period of several liveness deadlines and watchdog intervals on the new time.
            try await Task.sleep(for: .seconds(12))
            sampler.cancel()
            availability.stop()

            // Nothing was repaired: no restart, no hung child, no backoff, no escalation.
            let after = try FaultDrill.repairs(s)
            #expect(after.restarts == baseline.restarts, "restarts \(baseline.restarts) → \(after.restarts)")
            #expect(after.events == baseline.events, "repairs after the jumps: \(after.events.dropFirst(baseline.events.count))")
            #expect(health.bad.isEmpty, "/healthz: \(health.bad)")
            // The systemd watchdog kept being pinged, never withheld or triggered.
            let pings = await recorder.pings.count
            let triggered = await recorder.has { $0.isWatchdogTrigger }
            let statuses = await recorder.statuses
            #expect(pings > pingsAtJump + 5, "\(pings - pingsAtJump) WATCHDOG=1 since the first jump")
            #expect(!triggered)
            #expect(!statuses.contains { $0.hasPrefix("unhealthy") }, "\(statuses)")
            let poller = try s.node("deployments/\(s.name)/poller")
            #expect((poller?["status"] as? String ?? "").hasPrefix("up to date"), "\(poller ?? [:])")
            #expect(poller?["next_restart_in_seconds"] == nil)

            // The history is in run order (by id), though v3's run started "before" v2's.
            let runs = try s.history(limit: 50)
            let ids = runs.compactMap { $0["id"] as? Int }
            #expect(ids == ids.sorted(by: >), "\(ids)")
            let run2 = runs.first { $0["target_commit"] as? String == v2 && $0["outcome"] as? String == "succeeded" }
            let run3 = runs.first { $0["target_commit"] as? String == v3 && $0["outcome"] as? String == "succeeded" }
            #expect(run2 != nil && run3 != nil, "\(runs)")
            if let run2, let run3 {
                #expect(run3["started_at"] as? Double ?? 0 < run2["started_at"] as? Double ?? 0, "the clock was not set back")
                #expect(ids.firstIndex(of: run3["id"] as? Int ?? 0)! < ids.firstIndex(of: run2["id"] as? Int ?? 0)!)
            }
            // Durations come from the monotonic clock: none negative or years long.
            for run in runs {
                let took = (run["ended_at"] as? Double ?? 0) - (run["started_at"] as? Double ?? 0)
                #expect((0..<3600).contains(took), "run \(run["id"] ?? "?") took \(took) s")
            }
            let table = try s.cli("history", s.name).stdout
            #expect(table.split(separator: "\n").dropFirst().first?.hasPrefix("\(ids.first ?? 0) ") == true, "\(table)")
            // `status` (not under faketime here) says the recorded times are ahead, not "-3y ago".
            let status = try s.cli("status", s.name).stdout
            // (An age is a word of its own: the deployment's random name may hold "-29d…".)
            #expect(status.contains("ahead of this clock") && !status.contains(/(^|[\s(])-[0-9]+[smhd]/), "\(status)")

            let counts = availability.counts
            FaultDrill.measure(
                fault: "wall clock +3y then -5h (libfaketime)", injected: 2, survived: after.restarts == baseline.restarts ? 2 : 0,
                downtime: counts.downtime, lost: 0, reconverge: reconverge,
                note:
                    "reconverge = push → new version serving on the jumped clock; \(counts.failed) failed samples of \(counts.answered + counts.failed) (deploys' own container swaps); restarts \(after.restarts - baseline.restarts), repairs \(after.events.count - baseline.events.count)"
            )
        }
    }
}
