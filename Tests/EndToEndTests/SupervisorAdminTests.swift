import AsyncHTTPClient
import Foundation
import NIOCore
import Testing

/// `stevedore supervisor restart|stop|start|fault PATH` and `POST /api/supervisor/...` against
/// the real daemon.
@Suite("supervisor admin", .serialized)
struct SupervisorAdminTests {
    func post(_ scenario: Scenario, _ path: String, _ body: String) async throws -> (Int, [String: Any]) {
        var request = HTTPClientRequest(url: scenario.apiURL + path)
        request.method = .POST
        request.headers.add(name: "Authorization", value: "Bearer \(scenario.adminKey)")
        request.body = .bytes(ByteBuffer(string: body))
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(60))
        let data = try await response.body.collect(upTo: 1 << 20)
        let object = try JSONSerialization.jsonObject(with: Data(data.readableBytesView)) as? [String: Any] ?? [:]
        return (Int(response.status.code), object)
    }

    @Test("restart, stop and start act on one subtree, are recorded with who, and refuse what must not stop")
    func actionsByPath() async throws {
        let scenario = try Scenario()
        defer { scenario.tearDown() }
        try await scenario.startDaemon()
        #expect(try scenario.cli("repo", "add", scenario.name, scenario.remote).status == 0)
        let poller = "deployments/\(scenario.name)/poller"
        let reconciler = "deployments/\(scenario.name)/reconciler"
        try await waitUntil("poller running") { try scenario.node(poller)?["state"] as? String == "running" }
        let reconcilerUptime = try scenario.node(reconciler)?["uptime_seconds"] as? Double ?? 0

        // stop → stopped, and the sibling is untouched.
        let stop = try scenario.cli("supervisor", "stop", poller)
        #expect(stop.status == 0, "\(stop.stderr)")
        #expect(stop.stdout.contains("stopped \(poller) (now stopped)"))
        #expect(try scenario.node(poller)?["state"] as? String == "stopped")
        #expect(try scenario.node(reconciler)?["state"] as? String == "running")
        #expect(try scenario.node(reconciler)?["uptime_seconds"] as? Double ?? 0 >= reconcilerUptime)
        // start → running; start again → conflict.
        #expect(try scenario.cli("supervisor", "start", poller).status == 0)
        #expect(try scenario.node(poller)?["state"] as? String == "running")
        let again = try scenario.cli("supervisor", "start", poller)
        #expect(again.status == 1)
        #expect(again.stderr.contains("is running"))
        // restart, with JSON output.
        let restart = try scenario.cli("supervisor", "restart", poller, "--json")
        #expect(restart.status == 0)
        let answer = try JSONSerialization.jsonObject(with: Data(restart.stdout.utf8)) as? [String: Any]
        #expect(answer?["action"] as? String == "restart")
        #expect((answer?["by"] as? String)?.hasPrefix("cli:") == true)

        // Recorded as admin events with who (and when: every event has wall_seconds).
        let events = try scenario.json("supervisor", "events", "--limit", "200") as? [[String: Any]] ?? []
        let admin = events.filter { $0["kind"] as? String == "admin" && $0["path"] as? String == poller }
        let details = admin.map { $0["detail"] as? String ?? "" }
        #expect(
            details.filter { !$0.contains("refused") }.map { $0.split(separator: " ").prefix(2).joined(separator: " ") }
                == ["stop by", "start by", "restart by"], "\(details)")
        #expect(details.contains { $0.hasPrefix("start by cli:") && $0.contains("refused: child 'poller' is running") })
        #expect(admin.allSatisfy { ($0["wall_seconds"] as? Double ?? 0) > 1_700_000_000 })

        // Refusals: root, health-watchdog and http cannot be stopped.
        for path in ["root", "health-watchdog", "http"] {
            let refused = try scenario.cli("supervisor", "stop", path)
            #expect(refused.status == 1, "stop \(path)")
            #expect(refused.stderr.contains("restart") || refused.stderr.contains("systemctl"), "\(refused.stderr)")
        }
        let (status, body) = try await post(scenario, "/api/supervisor/stop", #"{"path": "health-watchdog"}"#)
        #expect(status == 409)
        #expect((body["error"] as? String)?.contains("watchdog pings") == true)
        // http and health-watchdog may be restarted.
        #expect(try scenario.cli("supervisor", "restart", "health-watchdog").status == 0)

        // Unknown path: 404 with the valid paths.
        let (missing, missingBody) = try await post(scenario, "/api/supervisor/restart", #"{"path": "deployments/nope"}"#)
        #expect(missing == 404)
        let valid = missingBody["valid_paths"] as? [String] ?? []
        #expect(valid.contains(poller) && valid.contains("store") && valid.contains("health-watchdog"))
        let cliMissing = try scenario.cli("supervisor", "restart", "nope")
        #expect(cliMissing.status == 1)
        #expect(cliMissing.stderr.contains("valid paths: store, ssh-agent, http"))
        // Unknown action.
        #expect(try await post(scenario, "/api/supervisor/explode", #"{"path": "store"}"#).0 == 404)

        // Refusals made before the supervisor is asked are recorded too.
        let later = try scenario.json("supervisor", "events", "--limit", "200") as? [[String: Any]] ?? []
        let refusals = later.filter { ($0["detail"] as? String ?? "").contains("refused") }.map { "\($0["path"] ?? "")" }
        #expect(
            refusals.contains("root") && refusals.contains("http") && refusals.contains("health-watchdog") && refusals.contains("nope"),
            "\(refusals)")

        // Restarting `http` through its own API: answered, then restarted (a fresh-user trial
        // saw the request wait on itself, the server end up stuck and the API gone for good).
        func httpReadyCount() throws -> Int {
            (try scenario.json("supervisor", "events", "--limit", "1024") as? [[String: Any]] ?? [])
                .filter { $0["path"] as? String == "http" && $0["kind"] as? String == "ready" }.count
        }
        let readyBefore = try httpReadyCount()
        let restartHTTP = try scenario.cli("supervisor", "restart", "http")
        #expect(restartHTTP.status == 0, "\(restartHTTP.stderr)")
        #expect(restartHTTP.stdout.contains("restarts right after this answer"))
        try await waitUntil("http restarted and answering", limit: .seconds(60)) { try httpReadyCount() > readyBefore }
        let httpEvents = (try scenario.json("supervisor", "events", "--limit", "100") as? [[String: Any]] ?? [])
            .filter { $0["path"] as? String == "http" }.map { $0["kind"] as? String ?? "" }.filter { $0 != "admin" }
        #expect(httpEvents.suffix(3) == ["stopped", "started", "ready"], "\(httpEvents)")
        #expect(try scenario.node("http")?["state"] as? String == "running")
    }

    @Test("fault injection is off unless the daemon was started with it")
    func faultInjectionOffByDefault() async throws {
        let scenario = try Scenario()
        defer { scenario.tearDown() }
        try await scenario.startDaemon()
        let refused = try scenario.cli("supervisor", "fault", "store", "throw")
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("fault injection is off"))
        let (status, _) = try await post(scenario, "/api/supervisor/fault", #"{"path": "store", "fault": "throw"}"#)
        #expect(status == 403)
        let bad = try scenario.cli("supervisor", "fault", "store", "explode")
        #expect(bad.status == 2)
        #expect(bad.stderr.contains("invalid fault 'explode': use throw, hang, trap, ignore-cancellation"))
        #expect(try scenario.node("store")?["restarts_total"] as? Int == 0)
    }
}
