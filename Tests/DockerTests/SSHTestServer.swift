import Foundation

@testable import Docker

/// A real OpenSSH server (`/usr/sbin/sshd`, from scripts/setup.sh) on 127.0.0.1 at a free
/// port, with its own configuration, host key and `authorized_keys` in a temporary directory.
/// Keys are authorised for `git-shell` (a forced command, as Git hosts do) or for root's plain
/// shell; `acceptEnv` adds `AcceptEnv GIT_PROTOCOL`, without which OpenSSH drops the
/// variable and git answers protocol v0.
final class SSHTestServer {
    let dir: String
    let port: Int
    var authorizedKeys: String { dir + "/authorized_keys" }
    var log: String { (try? String(contentsOfFile: dir + "/sshd.log", encoding: .utf8)) ?? "" }
    /// The host key's `type base64` (the public key file without its comment).
    var hostKey: String {
        get throws {
            let line = try String(contentsOfFile: dir + "/host_key.pub", encoding: .utf8)
            return line.split(separator: " ").prefix(2).joined(separator: " ")
        }
    }

    /// The forced command of a key that may run only git's commands.
    static let gitShell = #"exec git-shell -c \"$SSH_ORIGINAL_COMMAND\""#

    /// The host key's type (`ssh-keygen -t`): `ed25519` unless a test wants another.
    let hostKeyType: String

    /// - Parameter hostKeyType: `ed25519` (default), `ecdsa` or `rsa` (the server's only host key).
    init(acceptEnv: Bool, hostKeyType: String = "ed25519") throws {
        self.hostKeyType = hostKeyType
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("sshd-\(UUID().uuidString.prefix(8))").path
        port = try Self.freePort()
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: "/run/sshd", withIntermediateDirectories: true)  // privilege separation
        _ = FileManager.default.createFile(atPath: authorizedKeys, contents: nil)
        try newHostKey()
        try """
        Port \(port)
        ListenAddress 127.0.0.1
        HostKey \(dir)/host_key
        PidFile \(dir)/sshd.pid
        AuthorizedKeysFile \(authorizedKeys)
        StrictModes no
        PubkeyAuthentication yes
        PasswordAuthentication no
        KbdInteractiveAuthentication no
        PermitRootLogin prohibit-password
        UsePAM no
        LogLevel VERBOSE
        \(acceptEnv ? "AcceptEnv GIT_PROTOCOL" : "")
        """.write(toFile: dir + "/sshd_config", atomically: true, encoding: .utf8)
    }

    /// A new host key of ``hostKeyType`` (the next start presents a changed key).
    func newHostKey() throws {
        try? FileManager.default.removeItem(atPath: dir + "/host_key")
        try? FileManager.default.removeItem(atPath: dir + "/host_key.pub")
        try Self.run("ssh-keygen -q -t \(hostKeyType) -N '' -C test-host -f '\(dir)/host_key'")
    }

    /// Authorises `publicKey` (an OpenSSH line) with the forced `command`, or for the plain
    /// shell when `command` is nil.
    func authorize(_ publicKey: String, command: String? = SSHTestServer.gitShell) throws {
        let options = command.map { "command=\"\($0)\",restrict " } ?? ""
        let line = options + publicKey.trimmingCharacters(in: .whitespacesAndNewlines) + "\n"
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: authorizedKeys))
        handle.seekToEndOfFile()
        handle.write(Data(line.utf8))
        try handle.close()
    }

    /// Starts sshd as a daemon and returns once it listens: sshd writes its pid file after
    /// binding its socket (and the parent exits after forking), so the file's presence is
    /// the readiness signal.
    func start() throws {
        try? FileManager.default.removeItem(atPath: dir + "/sshd.pid")
        try Self.run("/usr/sbin/sshd -f '\(dir)/sshd_config' -E '\(dir)/sshd.log'")
        for _ in 0..<2000 where !FileManager.default.fileExists(atPath: dir + "/sshd.pid") { usleep(5000) }
        guard pid != nil else { throw GitError.commandFailed("sshd did not start: \(log)") }
    }

    var pid: Int32? {
        (try? String(contentsOfFile: dir + "/sshd.pid", encoding: .utf8)).flatMap {
            Int32($0.trimmingCharacters(in: .whitespacesAndNewlines))
        }
    }

    /// Stops the listener (SIGTERM) and waits until it has exited (a zombie counts as gone:
    /// the daemon is not our child, whoever adopted it reaps it in its own time).
    func stop() {
        guard let pid else { return }
        kill(pid, SIGTERM)
        for _ in 0..<2000 where Self.isRunning(pid) { usleep(5000) }
        try? FileManager.default.removeItem(atPath: dir + "/sshd.pid")
    }

    /// Whether `pid` exists and is not a zombie (`/proc/PID/stat`, state after the command).
    static func isRunning(_ pid: Int32) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8), let close = stat.lastIndex(of: ")") else {
            return false
        }
        return stat[stat.index(after: close)...].split(separator: " ").first != "Z"
    }

    func tearDown() {
        stop()
        try? FileManager.default.removeItem(atPath: dir)
    }

    /// A TCP port of 127.0.0.1 that was free a moment ago (nothing listens on it).
    static func freePort() throws -> Int {
        let listener = try SilentListener()
        defer { listener.close() }
        return Int(listener.port)
    }

    /// Runs `/bin/sh -c script` (git's identity set); its stdout. Throws on a non-zero exit,
    /// with stderr.
    @discardableResult
    static func run(_ script: String, allowFailure: Bool = false) throws -> (status: Int32, stdout: String, stderr: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", script]
        process.environment = [
            "PATH": "/usr/sbin:/usr/bin:/bin", "HOME": FileManager.default.temporaryDirectory.path, "GIT_AUTHOR_NAME": "t",
            "GIT_AUTHOR_EMAIL": "t@example.invalid", "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.invalid",
        ]
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sh-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        // Files, not pipes: a daemon (sshd) must not hold a pipe that is read to its end.
        let out = directory.appendingPathComponent("out").path
        let err = directory.appendingPathComponent("err").path
        _ = FileManager.default.createFile(atPath: out, contents: nil)
        _ = FileManager.default.createFile(atPath: err, contents: nil)
        process.standardOutput = FileHandle(forWritingAtPath: out)
        process.standardError = FileHandle(forWritingAtPath: err)
        process.standardInput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        let stdout = (try? String(contentsOfFile: out, encoding: .utf8)) ?? ""
        let stderr = (try? String(contentsOfFile: err, encoding: .utf8)) ?? ""
        guard allowFailure || process.terminationStatus == 0 else {
            throw GitError.commandFailed("`\(script)` failed (\(process.terminationStatus)): \(stderr)")
        }
        return (process.terminationStatus, stdout, stderr)
    }
}
