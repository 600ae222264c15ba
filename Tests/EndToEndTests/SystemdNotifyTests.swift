import Foundation
import Supervision
import Testing

/// The daemon's sd_notify sending side (sd_notify(3)) against a datagram listener, as systemd
/// would run it: `NOTIFY_SOCKET` on a path socket and on an abstract `@` socket,
/// `WATCHDOG_USEC`, `WATCHDOG_PID`. No assertion depends on how fast the machine is: cadence is
/// bounded from above (never more than one ping per WATCHDOG_USEC/2 since launch), absence is
/// checked after a quiet period of several ping intervals.
@Suite("sd_notify", .serialized)
struct SystemdNotifyTests {
    /// Received datagrams with the time they arrived.
    actor Recorder {
        var messages: [(at: ContinuousClock.Instant, message: NotifyMessage)] = []
        func add(_ message: NotifyMessage) { messages.append((ContinuousClock.now, message)) }
        var pings: [ContinuousClock.Instant] { messages.filter { $0.message.isWatchdog }.map(\.at) }
        var readyCount: Int { messages.filter { $0.message.isReady }.count }
        var statuses: [String] { messages.compactMap { $0.message.status } }
        func has(_ predicate: (NotifyMessage) -> Bool) -> Bool { messages.contains { predicate($0.message) } }
    }

    /// A listener on `path` feeding a recorder until the returned task is cancelled.
    static func listen(_ path: String) throws -> (NotifySocket, Recorder, Task<Void, Never>) {
        let socket = try NotifySocket(path: path)
        let recorder = Recorder()
        let task = Task { for await message in socket.messages { await recorder.add(message) } }
        return (socket, recorder, task)
    }

    /// Starts the daemon with `NOTIFY_SOCKET` and the given extra environment.
    static func startDaemon(_ scenario: Scenario, notifySocket: String, extra: [String: String]) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: stevedoreBinary)
        process.arguments = ["daemon"]
        var env = scenario.environment
        env["NOTIFY_SOCKET"] = notifySocket
        env.merge(extra) { _, new in new }
        process.environment = env
        FileManager.default.createFile(atPath: scenario.dir + "/daemon.log", contents: nil)
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: scenario.dir + "/daemon.log"))
        process.standardOutput = log
        process.standardError = log
        try process.run()
        return process
    }

    /// Runs `body` with a daemon that notifies a fresh listener (`socketName` relative to the
    /// scenario's directory, or an abstract `@name`), once READY=1 has arrived; tears all down.
    static func withReadyDaemon(
        socketName: String = "notify.sock", extra: [String: String],
        _ body: (Scenario, Recorder, Process) async throws -> Void
    ) async throws {
        let scenario = try Scenario()
        defer { scenario.tearDown() }
        let (socket, recorder, listener) = try listen(socketName.hasPrefix("@") ? socketName : scenario.dir + "/" + socketName)
        defer {
            listener.cancel()
            socket.close()
        }
        let daemon = try startDaemon(scenario, notifySocket: socket.path, extra: extra)
        defer {
            if daemon.isRunning {
                daemon.terminate()
                daemon.waitUntilExit()
            }
        }
        try await waitUntil("READY=1", limit: .seconds(120)) { await recorder.readyCount > 0 }
        try await body(scenario, recorder, daemon)
    }

    /// Root children's states from `GET /api/supervisor`.
    static func rootChildStates(_ scenario: Scenario) async throws -> [String: String] {
        guard let (status, body) = await httpGet(scenario.apiURL + "/api/supervisor", bearer: scenario.adminKey), status == 200,
            let tree = try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any]
        else {
            throw HarnessError("GET /api/supervisor failed")
        }
        var states: [String: String] = [:]
        for child in tree["children"] as? [[String: Any]] ?? [] {
            states[child["id"] as? String ?? "?"] = child["state"] as? String
        }
        return states
    }

    @Test("path socket: READY after the tree is up, WATCHDOG cadence, pings continue while degraded, stop when stuck; children scrubbed")
    func pathSocket() async throws {
        let scenario = try Scenario()
        defer { scenario.tearDown() }
        try FileManager.default.createDirectory(atPath: scenario.dir + "/hooks", withIntermediateDirectories: true)
        let (socket, recorder, listener) = try Self.listen(scenario.dir + "/notify.sock")
        defer {
            listener.cancel()
            socket.close()
        }
        // A git hook (through GIT_CONFIG_GLOBAL, which reaches git through the daemon's
        // environment) records what a child process of the daemon sees.
        let envDump = scenario.dir + "/git-child-env.txt"
        try "#!/bin/sh\nenv > '\(envDump)'\n".write(toFile: scenario.dir + "/hooks/post-checkout", atomically: true, encoding: .utf8)
        chmod(scenario.dir + "/hooks/post-checkout", 0o755)
        try "[core]\n\thooksPath = \(scenario.dir)/hooks\n".write(toFile: scenario.dir + "/gitconfig", atomically: true, encoding: .utf8)
        let launched = ContinuousClock.now
        let daemon = try Self.startDaemon(
            scenario, notifySocket: socket.path,
            extra: [
                "WATCHDOG_USEC": "1000000", "STEVEDORE_LIVENESS_DEADLINE": "4s", "STEVEDORE_FAULT_INJECTION": "1",
                // Local git mode: git is then a child process of the daemon (in worker mode it runs
                // in a container, whose environment the daemon writes explicitly).
                "GIT_CONFIG_GLOBAL": scenario.dir + "/gitconfig", "STEVEDORE_GIT_MODE": "local",
            ])
        defer {
            if daemon.isRunning {
                daemon.terminate()
                daemon.waitUntilExit()
            }
        }

        try await waitUntil("READY=1", limit: .seconds(120)) { await recorder.readyCount > 0 }
        // READY means the tree is up: the API answers and every root child runs.
        let states = try await Self.rootChildStates(scenario)
        #expect(
            states == [
                "store": "running", "ssh-agent": "running", "http": "running", "reaper": "running", "log-streamer": "running",
                "deployments": "running", "health-watchdog": "running",
            ],
            "at READY: \(states)")
        #expect(await recorder.statuses.first?.hasPrefix("ok: 7/7 subsystems running") == true)

        // Cadence: pings keep coming, and never faster than one per WATCHDOG_USEC/2 since the
        // daemon was launched (arrival times would measure our reader, not the sender).
        try await waitUntil("4 WATCHDOG=1 pings") { await recorder.pings.count >= 4 }
        let elapsed = ContinuousClock.now - launched
        let count = await recorder.pings.count
        #expect(Double(count) <= elapsed / .milliseconds(500) + 1, "\(count) pings in \(elapsed); WATCHDOG_USEC/2 is 500 ms")

        // A deployment whose remote does not exist: degraded, and the pings go on.
        #expect(try scenario.cli("repo", "add", "broken", scenario.dir + "/missing.git").status == 0)
        try await waitUntil("broken poller degraded") { try scenario.node("deployments/broken/poller")?["state"] as? String == "degraded" }
        let beforeDegradedCount = await recorder.pings.count
        try await waitUntil("3 more pings while degraded") { await recorder.pings.count >= beforeDegradedCount + 3 }
        #expect(await httpGet(scenario.apiURL + "/healthz")?.0 == 200)
        try await waitUntil("STATUS= names the degraded poller") {
            await recorder.statuses.contains { $0.hasPrefix("degraded:") && $0.contains("deployments/broken/poller") }
        }

        // A real deployment: its git clone is a child process of the daemon.
        #expect(try scenario.cli("repo", "add", scenario.name, scenario.remote).status == 0)
        try await waitUntil("git child ran the hook") { FileManager.default.fileExists(atPath: envDump) }
        let childEnvironment = try String(contentsOfFile: envDump, encoding: .utf8)
        #expect(childEnvironment.contains("GIT_CONFIG_GLOBAL="), "the hook did not see the daemon's environment")
        for variable in ["NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID"] {
            #expect(!childEnvironment.contains("\(variable)="), "\(variable) leaked into a child process")
        }

        // A stuck child: the pings stop.
        #expect(try scenario.cli("supervisor", "fault", "store", "ignore-cancellation").status == 0)
        try await waitUntil("store stuck", limit: .seconds(120)) { try scenario.node("store")?["state"] as? String == "stuck" }
        try await Task.sleep(for: .seconds(1))  // a ping already in flight when it became stuck
        let atStuck = await recorder.pings.count
        try await Task.sleep(for: .seconds(3))  // six ping intervals
        #expect(await recorder.pings.count == atStuck, "WATCHDOG=1 sent while a child is stuck")
        #expect(await httpGet(scenario.apiURL + "/healthz")?.0 == 503)
        try await waitUntil("STATUS= says unhealthy") { await recorder.statuses.last?.hasPrefix("unhealthy:") == true }
    }

    @Test("abstract socket: READY, WATCHDOG=1, STOPPING=1 on SIGTERM, exit 0")
    func abstractSocket() async throws {
        try await Self.withReadyDaemon(
            socketName: "@stevedore-test-\(UUID().uuidString.prefix(8))",
            extra: ["WATCHDOG_USEC": "1000000"]
        ) { scenario, recorder, daemon in
            try await waitUntil("2 pings") { await recorder.pings.count >= 2 }
            #expect(await !recorder.has(\.isStopping))
            daemon.terminate()  // SIGTERM, as systemctl stop
            daemon.waitUntilExit()
            #expect(daemon.terminationStatus == 0, "log: \(scenario.daemonLog())")
            try await waitUntil("STOPPING=1") { await recorder.has(\.isStopping) }
            #expect(await recorder.readyCount == 1)
        }
    }

    @Test("WATCHDOG_PID of another process: READY, but no pings")
    func foreignWatchdogPID() async throws {
        try await Self.withReadyDaemon(extra: ["WATCHDOG_USEC": "1000000", "WATCHDOG_PID": "1"]) { _, recorder, _ in
            try await Task.sleep(for: .seconds(2))  // four ping intervals
            #expect(await recorder.pings.isEmpty)
        }
    }

    @Test("root gives up: WATCHDOG=trigger and a non-zero exit")
    func rootGivesUp() async throws {
        try await Self.withReadyDaemon(extra: ["WATCHDOG_USEC": "5000000", "STEVEDORE_FAULT_INJECTION": "1"]) {
            scenario, recorder, daemon in
            // Root intensity is 5 restarts in 30 s: the 6th failure of `store` makes it give up.
            // A crash loop (every incarnation throws as it starts) fails it six times in the
            // backoff's 0.5 + 1 + 2 + 4 + 8 s, however slow the machine. (Six `throw`s, one CLI
            // call each, spread past the window on a loaded machine, and the root never gave up.)
            try await waitUntil("the crash loop is injected") {
                try scenario.cli("supervisor", "fault", "store", "crash-loop").status == 0
            }
            try await waitUntil("the root gives up", limit: .seconds(120)) { !daemon.isRunning }
            daemon.waitUntilExit()
            #expect(daemon.terminationStatus != 0)
            try await waitUntil("WATCHDOG=trigger") { await recorder.has(\.isWatchdogTrigger) }
            #expect(scenario.daemonLog().contains("exceeded its restart intensity"))
        }
    }

    @Test("slow start-up (an engine that never answers): EXTEND_TIMEOUT_USEC before READY")
    func slowStartupExtendsTheTimeout() async throws {
        let scenario = try Scenario()
        defer { scenario.tearDown() }
        let (socket, recorder, listener) = try Self.listen(scenario.dir + "/notify.sock")
        defer {
            listener.cancel()
            socket.close()
        }
        // A unix socket that listens but never accepts: the daemon's Engine ping waits for its
        // 30 s timeout during start-up, as with a wedged dockerd.
        let engineSocket = scenario.dir + "/silent-docker.sock"
        let fd = Foundation.socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (i, byte) in engineSocket.utf8.enumerated() { raw[i] = byte }
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        #expect(bound == 0 && Glibc.listen(fd, 16) == 0)
        let daemon = try Self.startDaemon(scenario, notifySocket: socket.path, extra: ["DOCKER_HOST": "unix://" + engineSocket])
        defer {
            if daemon.isRunning {
                daemon.terminate()
                daemon.waitUntilExit()
            }
        }
        try await waitUntil("READY=1", limit: .seconds(180)) { await recorder.readyCount > 0 }
        let messages = await recorder.messages.map(\.message)
        let extend = messages.firstIndex { $0["EXTEND_TIMEOUT_USEC"] != nil }
        let ready = messages.firstIndex { $0.isReady }
        #expect(extend != nil, "no EXTEND_TIMEOUT_USEC during a 30 s start-up")
        if let extend, let ready { #expect(extend < ready) }
        #expect(messages.compactMap { $0["EXTEND_TIMEOUT_USEC"] }.allSatisfy { $0 == "30000000" })
    }

    @Test("without systemd, a tree that stays unhealthy ends the process (container restart policies act on exits only)")
    func containerModeExitsWhenStuck() async throws {
        let scenario = try Scenario()
        defer { scenario.tearDown() }
        let daemon = try Self.startDaemon(
            scenario, notifySocket: "",
            extra: [
                "STEVEDORE_LIVENESS_DEADLINE": "4s", "STEVEDORE_FAULT_INJECTION": "1", "STEVEDORE_UNHEALTHY_EXIT_AFTER": "3s",
            ])
        defer {
            if daemon.isRunning {
                daemon.terminate()
                daemon.waitUntilExit()
            }
        }
        try await waitUntil("daemon /healthz") { await httpGet(scenario.apiURL + "/healthz")?.0 == 200 }
        #expect(try scenario.cli("supervisor", "fault", "store", "ignore-cancellation").status == 0)
        try await waitUntil("the daemon exits", limit: .seconds(120)) { !daemon.isRunning }
        #expect(daemon.terminationStatus == 1)
        #expect(scenario.daemonLog().contains("exiting so that the restart policy restarts the daemon"))
    }
}
