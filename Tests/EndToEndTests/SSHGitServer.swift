import Foundation

/// A real OpenSSH server on 127.0.0.1 serving bare repositories through `git-shell`, for the
/// tests of private repositories. Keys are authorised with a forced command, so a client can
/// only run git's upload/receive-pack (`command="git-shell -c \"$SSH_ORIGINAL_COMMAND\"",restrict`).
final class SSHGitServer {
    let dir: String
    let port: Int
    var authorizedKeys: String { dir + "/authorized_keys" }
    var log: String { (try? String(contentsOfFile: dir + "/sshd.log", encoding: .utf8)) ?? "" }

    init() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("sshd-\(UUID().uuidString.prefix(8))").path
        port = try freePort()
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: "/run/sshd", withIntermediateDirectories: true)  // privilege separation
        FileManager.default.createFile(atPath: authorizedKeys, contents: nil)
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
        """.write(toFile: dir + "/sshd_config", atomically: true, encoding: .utf8)
    }

    /// Makes a new host key (the next start presents a changed key).
    func newHostKey() throws {
        try? FileManager.default.removeItem(atPath: dir + "/host_key")
        try? FileManager.default.removeItem(atPath: dir + "/host_key.pub")
        try sh("ssh-keygen -q -t ed25519 -N '' -C test-host -f '\(dir)/host_key'")
    }

    /// Starts sshd as a daemon (it forks and detaches; its pid is in `sshd.pid`). Not run as a
    /// Foundation `Process` child: sshd closes every inherited descriptor, including the one
    /// Foundation watches for the child's exit, and Foundation's monitor thread would then
    /// block in `waitpid` on the still running sshd, so no other child would ever be reaped.
    func start() async throws {
        let started = try runProgram("/usr/sbin/sshd", ["-f", dir + "/sshd_config", "-E", dir + "/sshd.log"])
        guard started.status == 0 else { throw HarnessError("sshd did not start: \(started.stderr)") }
        try await waitUntil("sshd listening on \(port)", limit: .seconds(60)) {
            self.log.contains("Server listening on 127.0.0.1 port \(self.port)")
        }
    }

    /// Stops sshd (SIGTERM to the pid in its pid file) and waits until it is gone.
    func stop() {
        guard let text = try? String(contentsOfFile: dir + "/sshd.pid", encoding: .utf8),
            let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines))
        else { return }
        kill(pid, SIGTERM)
        for _ in 0..<200 where kill(pid, 0) == 0 { usleep(50_000) }
        try? FileManager.default.removeItem(atPath: dir + "/sshd.pid")
        // A new start must not mistake the old "listening" line for its own.
        try? FileManager.default.removeItem(atPath: dir + "/sshd.log")
    }

    /// The `ssh://` URL of a bare repository at `path`.
    func url(_ path: String) -> String { "ssh://root@127.0.0.1:\(port)\(path)" }

    /// Authorises `publicKey` (an OpenSSH line) for git-shell only; with `delay`, the forced
    /// command sleeps that many seconds first (a slow remote).
    func authorize(_ publicKey: String, delay: Int = 0) throws {
        let command = (delay > 0 ? "sleep \(delay); " : "") + #"exec git-shell -c \"$SSH_ORIGINAL_COMMAND\""#
        let line = "command=\"\(command)\",restrict \(publicKey.trimmingCharacters(in: .whitespacesAndNewlines))\n"
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: authorizedKeys))
        handle.seekToEndOfFile()
        handle.write(Data(line.utf8))
        try handle.close()
    }

    /// Removes every authorised key.
    func revokeAll() throws { try "".write(toFile: authorizedKeys, atomically: true, encoding: .utf8) }

    func tearDown() {
        stop()
        try? FileManager.default.removeItem(atPath: dir)
    }
}
