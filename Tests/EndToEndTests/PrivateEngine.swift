import Foundation

/// A Docker engine of the test's own: a second `dockerd` with its own socket, data root,
/// exec root (and so its own containerd), its own default bridge (`--bridge=none` would make
/// dockerd delete the host engine's `docker0`), no iptables rules and its own address pool, so that the engine-restart drills can kill and restart it without touching
/// the host's engine that every other test uses. The images the scenario builds from are
/// copied in from the host's engine (`docker save | docker load`).
final class PrivateEngine {
    let dir: String
    var socket: String { dir + "/docker.sock" }
    var host: String { "unix://" + socket }
    private var pidFile: String { dir + "/docker.pid" }
    var log: String { dir + "/dockerd.log" }

    /// - Parameter pool: the address pool for the engine's networks (must not overlap the
    ///   host engine's).
    init(pool: String = "10.213.0.0/16") throws {
        let id = UUID().uuidString.prefix(8).lowercased()
        dir = "/tmp/stevedore-engine-" + id
        bridge = "sdrill" + id.prefix(6)
        self.pool = pool
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        hostBridge = (try? sh("ip -4 -o addr show docker0 | awk '{print $4}' | head -1")) ?? ""
        try sh("ip link add \(bridge) type bridge && ip addr add 10.214.0.1/24 dev \(bridge) && ip link set \(bridge) up")
        try start()
        try sh("docker save stevedore/busybox:latest | DOCKER_HOST=\(host) docker load -q >/dev/null")
    }

    private let pool: String
    /// The engine's default bridge (a Linux bridge of its own, deleted at the end).
    private let bridge: String
    /// The host engine's `docker0` address (e.g. `172.17.0.1/16`), empty without one.
    private let hostBridge: String
    /// The running dockerd (the test process is its parent and reaps it).
    private var process: Process?

    /// Starts dockerd (after a kill, its pid file is removed first) and waits until it answers.
    func start() throws {
        try? FileManager.default.removeItem(atPath: pidFile)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/sbin/dockerd")
        process.arguments = [
            "--host", host, "--data-root", dir + "/data", "--exec-root", dir + "/exec", "--pidfile", pidFile,
            "--bridge=\(bridge)", "--iptables=false", "--ip6tables=false", "--default-address-pool", "base=\(pool),size=24",
        ]
        if !FileManager.default.fileExists(atPath: log) { FileManager.default.createFile(atPath: log, contents: nil) }
        let output = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        output.seekToEndOfFile()
        process.standardOutput = output
        process.standardError = output
        process.standardInput = FileHandle.nullDevice
        try process.run()
        self.process = process
        try waitForEngine()
        restoreHostBridge()
    }

    private func waitForEngine() throws {
        for _ in 0..<600 {
            if (try? sh("DOCKER_HOST=\(host) docker version -f '{{.Server.Version}}' >/dev/null 2>&1")) != nil { return }
            usleep(100_000)
        }
        throw HarnessError(
            "private dockerd did not answer within 60 s: \((try? String(contentsOfFile: log, encoding: .utf8))?.suffix(2000) ?? "")")
    }

    /// A second dockerd restarting on its data root (after a SIGKILL) was seen to delete the
    /// host's `docker0` (dockerd 20.10), which breaks the host engine's default-bridge
    /// containers and build steps: it is put back as it was.
    private func restoreHostBridge() {
        guard !hostBridge.isEmpty, (try? sh("ip link show docker0 >/dev/null 2>&1")) == nil else { return }
        _ = try? sh("ip link add docker0 type bridge && ip addr add \(hostBridge) dev docker0 && ip link set docker0 up")
    }

    /// SIGKILLs dockerd (its containerd and the containers' shims survive, as on a crash) and
    /// waits until it is gone.
    func kill() throws {
        guard let process else { throw HarnessError("dockerd is not running") }
        let pid = process.processIdentifier
        Foundation.kill(pid, SIGKILL)
        // Reaped here: Foundation's `waitUntilExit()` was seen to hang on the zombie.
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        self.process = nil
    }

    /// `docker` against this engine, e.g. `docker("ps", "-q")`.
    @discardableResult
    func docker(_ arguments: String...) throws -> String {
        try sh((["DOCKER_HOST=\(host)", "docker"] + arguments.map { "'\($0)'" }).joined(separator: " "))
    }

    /// Removes every container and network, stops dockerd, unmounts what is left and deletes
    /// its directory.
    func tearDown() {
        _ = try? sh(
            "export DOCKER_HOST=\(host); ids=$(docker ps -aq); [ -z \"$ids\" ] || docker rm -f $ids >/dev/null; docker network prune -f >/dev/null; true"
        )
        if let process {
            let pid = process.processIdentifier
            Foundation.kill(pid, SIGTERM)
            var status: Int32 = 0
            while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        }
        restoreHostBridge()
        _ = try? sh(
            "pkill -f '\(dir)/exec' ; sleep 0.5; awk '{print $2}' /proc/mounts | grep '^\(dir)' | sort -r | xargs -r -n1 umount -l; rm -rf '\(dir)'; ip link delete \(bridge) 2>/dev/null; true"
        )
    }
}
