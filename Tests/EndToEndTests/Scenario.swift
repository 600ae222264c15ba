import Foundation
import Testing

/// One isolated Stevedore installation: a state root, a daemon process on a free port,
/// and a Git repository with a small Compose app, all under one temp directory.
final class Scenario {
    let dir: String
    let name: String
    let apiPort: Int
    let appPort: Int
    let environment: [String: String]
    private var daemon: Process?

    var root: String { dir + "/root" }
    var source: String { dir + "/src" }
    var remote: String { dir + "/remote.git" }
    var project: String { "stevedore-\(name)" }
    var appURL: String { "http://127.0.0.1:\(appPort)/" }
    var apiURL: String { "http://127.0.0.1:\(apiPort)" }
    var adminKey: String {
        (try? String(contentsOfFile: root + "/system/admin.key", encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
    }

    /// - Parameter extra: more daemon/CLI environment (e.g. `STEVEDORE_GIT_TIMEOUT`).
    init(composeV1: Bool = false, environment extra: [String: String] = [:]) throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("stevedore-e2e-\(UUID().uuidString.prefix(8))").path
        name = "e2e-" + UUID().uuidString.prefix(8).lowercased()
        apiPort = try freePort()
        appPort = try freePort()
        var env = ProcessInfo.processInfo.environment
        env["STEVEDORE_ROOT"] = dir + "/root"
        env["STEVEDORE_LISTEN_ADDR"] = "127.0.0.1:\(apiPort)"
        env["STEVEDORE_POLL_INTERVAL"] = "2s"
        env["STEVEDORE_RECONCILE_INTERVAL"] = "2s"
        // Git runs in worker containers of the locally built image (scripts/build-git-image.sh).
        env["STEVEDORE_GIT_IMAGE"] = env["STEVEDORE_GIT_IMAGE"] ?? "stevedore/git:latest"
        env["STEVEDORE_RUNTIME_DIR"] = dir + "/run"
        if composeV1 { env["STEVEDORE_COMPOSE"] = "v1" }
        env.merge(extra) { _, new in new }
        environment = env
        try FileManager.default.createDirectory(atPath: source + "/www", withIntermediateDirectories: true)
        try """
        FROM stevedore/busybox:latest
        COPY www/ /www/
        CMD ["httpd", "-f", "-p", "8080", "-h", "/www"]
        """.write(toFile: source + "/Dockerfile", atomically: true, encoding: .utf8)
        try """
        services:
          web:
            build: .
            init: true
            restart: unless-stopped
            ports: ["127.0.0.1:\(appPort):8080"]
            healthcheck:
              test: ["CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:8080/"]
              interval: 1s
              timeout: 2s
              retries: 3
        """.write(toFile: source + "/compose.yaml", atomically: true, encoding: .utf8)
        try "version 1\n".write(toFile: source + "/www/index.html", atomically: true, encoding: .utf8)
        try sh(
            "cd '\(source)' && git init -q -b main && git add -A && git commit -qm v1 && git init -q --bare -b main '\(remote)' && git push -q '\(remote)' main"
        )
    }

    /// A second Git remote `<name>.git` in the scenario's directory holding one commit of
    /// `compose.yaml` with `compose`; returns its path (for `repo add`).
    func makeRemote(_ name: String, compose: String) throws -> String {
        let source = dir + "/\(name)-src"
        let remote = dir + "/\(name).git"
        try FileManager.default.createDirectory(atPath: source, withIntermediateDirectories: true)
        try compose.write(toFile: source + "/compose.yaml", atomically: true, encoding: .utf8)
        try sh(
            "cd '\(source)' && git init -q -b main && git add -A && git commit -qm '\(name)' && git init -q --bare -b main '\(remote)' && git push -q '\(remote)' main"
        )
        return remote
    }

    /// Commits a new page text and pushes it; returns the new commit.
    @discardableResult
    func publish(_ text: String) throws -> String {
        try "\(text)\n".write(toFile: source + "/www/index.html", atomically: true, encoding: .utf8)
        return try sh("cd '\(source)' && git commit -qam '\(text)' && git push -q '\(remote)' main && git rev-parse HEAD")
    }

    /// Runs `stevedore daemon` in the foreground until it exits (for start-up failures).
    func runDaemonToExit(environment extra: [String: String] = [:]) throws -> CommandResult {
        try runProgram(stevedoreBinary, ["daemon"], environment: environment.merging(extra) { _, new in new })
    }

    /// Writes `content` to `file` in the source repository, commits and pushes; returns the commit.
    @discardableResult
    func commitFile(_ file: String, _ content: String, message: String) throws -> String {
        let path = source + "/" + file
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try content.write(toFile: path, atomically: true, encoding: .utf8)
        return try sh("cd '\(source)' && git add -A && git commit -qm '\(message)' && git push -q '\(remote)' main && git rev-parse HEAD")
    }

    /// Runs a shell command in the source repository, commits and pushes.
    @discardableResult
    func commitChange(_ script: String, message: String) throws -> String {
        try sh(
            "cd '\(source)' && \(script) && git add -A && git commit -qm '\(message)' && git push -q '\(remote)' main && git rev-parse HEAD"
        )
    }

    /// Starts `stevedore daemon` and waits for its `/healthz`.
    ///
    /// - Parameters:
    ///   - appendLog: keep what `daemon.log` holds (a restart), instead of starting it anew.
    ///   - interval: how often `/healthz` is asked.
    func startDaemon(appendLog: Bool = false, every interval: Duration = .milliseconds(500)) async throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: stevedoreBinary)
        process.arguments = ["daemon"]
        process.environment = environment
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        if !appendLog || !FileManager.default.fileExists(atPath: dir + "/daemon.log") {
            FileManager.default.createFile(atPath: dir + "/daemon.log", contents: nil)
        }
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: dir + "/daemon.log"))
        log.seekToEndOfFile()
        process.standardOutput = log
        process.standardError = log
        try process.run()
        daemon = process
        try await waitUntil("daemon /healthz", every: interval) { await httpGet(apiURL + "/healthz")?.0 == 200 }
    }

    /// Runs the CLI with this scenario's environment.
    @discardableResult
    func cli(_ arguments: String..., environment extra: [String: String] = [:]) throws -> CommandResult {
        try runProgram(stevedoreBinary, arguments, environment: environment.merging(extra) { _, new in new })
    }

    /// `cli` with `--json`, decoded.
    func json(_ arguments: String...) throws -> Any {
        let result = try runProgram(stevedoreBinary, arguments + ["--json"], environment: environment)
        guard result.status == 0 else { throw HarnessError("\(arguments) failed: \(result.stderr)") }
        return try JSONSerialization.jsonObject(with: Data(result.stdout.utf8))
    }

    func deploymentStatus() throws -> [String: Any] {
        try json("status", name) as? [String: Any] ?? [:]
    }

    func containers(all: Bool = true) throws -> [String] {
        try sh("docker ps \(all ? "-a" : "") --filter label=com.docker.compose.project=\(project) --format '{{.Names}}'")
            .split(separator: "\n").map(String.init)
    }

    /// The supervisor node at `path`, from `supervisor status --json`.
    func node(_ path: String) throws -> [String: Any]? {
        func find(_ node: [String: Any]) -> [String: Any]? {
            if node["path"] as? String == path { return node }
            for child in node["children"] as? [[String: Any]] ?? [] { if let hit = find(child) { return hit } }
            return nil
        }
        return find(try json("supervisor", "status") as? [String: Any] ?? [:])
    }

    /// `history NAME --json`, newest first.
    func history(limit: Int = 20) throws -> [[String: Any]] {
        try json("history", name, "--limit", String(limit)) as? [[String: Any]] ?? []
    }

    func daemonLog() -> String { (try? String(contentsOfFile: dir + "/daemon.log", encoding: .utf8)) ?? "" }

    /// The running daemon's pid, if one runs.
    var daemonPID: pid_t? { daemon.flatMap { $0.isRunning ? $0.processIdentifier : nil } }

    /// Sends SIGKILL (a power cut, as the process sees it: no shutdown of any kind) and waits
    /// for the daemon to be gone. Its subprocesses are not signalled.
    func killDaemon() {
        if let daemon, daemon.isRunning {
            kill(daemon.processIdentifier, SIGKILL)
            daemon.waitUntilExit()
        }
        daemon = nil
    }

    /// Sends SIGTERM (as systemd does) and waits for the daemon to exit.
    func stopDaemon() {
        if let daemon, daemon.isRunning {
            daemon.terminate()
            daemon.waitUntilExit()
        }
        daemon = nil
    }

    /// Stops the daemon, removes the app's containers and files.
    func tearDown() {
        stopDaemon()
        _ = try? sh(
            "ids=$(docker ps -aq --filter label=com.docker.compose.project=\(project)); [ -z \"$ids\" ] || docker rm -f $ids >/dev/null; docker network rm \(project)_default >/dev/null 2>&1; true"
        )
        try? FileManager.default.removeItem(atPath: dir)
    }
}
