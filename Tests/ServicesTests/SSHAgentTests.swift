import Foundation
import Testing

@testable import Services

/// The in-process SSH agent against OpenSSH's own clients (`ssh-add`, `ssh-keygen -Y`), and
/// against hostile input on its socket.
@Suite(.serialized) struct SSHAgentTests {
    let dir = "/tmp/stevedore-agent-test-\(UInt32.random(in: 0...UInt32.max))"

    func run(_ arguments: [String], socket: String, input: String? = nil) throws -> (Int32, String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        env["SSH_AUTH_SOCK"] = socket
        process.environment = env
        let out = Pipe()
        process.standardOutput = out
        process.standardError = out
        let stdin = Pipe()
        process.standardInput = stdin
        try process.run()
        if let input { stdin.fileHandleForWriting.write(Data(input.utf8)) }
        try stdin.fileHandleForWriting.close()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    /// Sends `bytes` on a fresh connection and returns what comes back until the agent closes
    /// the connection or `expect` bytes arrived.
    func exchange(_ socketPath: String, _ bytes: [UInt8], expect: Int = .max) throws -> [UInt8] {
        try exchange(socketPath, pieces: [bytes], expect: expect)
    }

    /// Like ``exchange(_:_:expect:)``, writing `pieces` one by one with a pause between them,
    /// so the agent sees partial messages.
    func exchange(_ socketPath: String, pieces: [[UInt8]], expect: Int = .max) throws -> [UInt8] {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in for (i, b) in socketPath.utf8.enumerated() { raw[i] = b } }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard connected == 0 else { throw SSHWireReader.Truncated() }
        var timeout = timeval(tv_sec: 30, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        for (index, piece) in pieces.enumerated() {
            if index > 0 { usleep(50_000) }
            _ = piece.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        }
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while received.count < expect {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 { break }
            received += buffer[0..<n]
        }
        return received
    }

    @Test func openSSHClientsListAndSignWithTheDeploymentKeyOnly() async throws {
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let key = DeployKey.generate()
        let other = DeployKey.generate()
        let server = try await SSHAgentServer.start(path: dir + "/a/agent.sock", keys: { [(key, "stevedore:a")] })
        defer { Task { await server.close() } }
        // Socket 0600 in a 0700 directory.
        let socketMode = (try FileManager.default.attributesOfItem(atPath: server.path)[.posixPermissions] as? Int ?? 0) & 0o777
        let dirMode = (try FileManager.default.attributesOfItem(atPath: dir + "/a")[.posixPermissions] as? Int ?? 0) & 0o777
        #expect(socketMode == 0o600 && dirMode == 0o700)

        // ssh-add -L lists exactly this deployment's key.
        let (status, listed) = try run(["ssh-add", "-L"], socket: server.path)
        #expect(status == 0, "\(listed)")
        #expect(listed.trimmingCharacters(in: .whitespacesAndNewlines) == key.openSSHPublicKey(comment: "stevedore:a"))

        // ssh-keygen signs through the agent with only the public key at hand; verify it.
        try FileManager.default.createDirectory(atPath: dir + "/sig", withIntermediateDirectories: true)
        try (key.openSSHPublicKey(comment: "stevedore:a") + "\n").write(toFile: dir + "/sig/key.pub", atomically: true, encoding: .utf8)
        try "hello\n".write(toFile: dir + "/sig/msg", atomically: true, encoding: .utf8)
        let (signed, signOutput) = try run(
            ["ssh-keygen", "-Y", "sign", "-f", dir + "/sig/key.pub", "-n", "test", dir + "/sig/msg"], socket: server.path)
        #expect(signed == 0, "\(signOutput)")
        try ("deploy@a " + key.openSSHPublicKey(comment: "") + "\n").write(toFile: dir + "/sig/allowed", atomically: true, encoding: .utf8)
        let message = try String(contentsOfFile: dir + "/sig/msg", encoding: .utf8)
        let (verified, verifyOutput) = try run(
            [
                "ssh-keygen", "-Y", "verify", "-f", dir + "/sig/allowed", "-I", "deploy@a", "-n", "test",
                "-s", dir + "/sig/msg.sig",
            ], socket: server.path, input: message)
        #expect(verified == 0, "\(verifyOutput)")
        #expect(verifyOutput.contains("Good \"test\" signature for deploy@a"))

        // A sign request for another deployment's key is refused.
        var request = SSHWireWriter()
        request.byte(SSHAgentProtocol.MessageType.signRequest.rawValue)
        request.string(other.publicKeyBlob)
        request.string([1, 2, 3])
        request.uint32(0)
        #expect(
            try exchange(server.path, SSHAgentProtocol.frame(request.bytes), expect: 5) == SSHAgentProtocol.frame(SSHAgentProtocol.failure))
    }

    @Test func hostileInputClosesThatConnectionOnly() async throws {
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let key = DeployKey.generate()
        let server = try await SSHAgentServer.start(path: dir + "/b/agent.sock", keys: { [(key, "stevedore:b")] })
        defer { Task { await server.close() } }
        // An oversize length and a zero length: closed without an answer.
        #expect(try exchange(server.path, [0xff, 0xff, 0xff, 0xff, 1, 2, 3]).isEmpty)
        #expect(try exchange(server.path, [0, 0, 0, 0]).isEmpty)
        // Garbage that frames correctly: FAILURE, and the connection stays usable.
        let garbage =
            SSHAgentProtocol.frame([0x99, 1, 2]) + SSHAgentProtocol.frame([SSHAgentProtocol.MessageType.requestIdentities.rawValue])
        let answers = try exchange(server.path, garbage, expect: 5 + 4 + 1 + 4 + key.publicKeyBlob.count + 4 + 4 + 11)
        #expect(Array(answers.prefix(5)) == SSHAgentProtocol.frame(SSHAgentProtocol.failure))
        #expect(answers.count > 5 && answers[9] == SSHAgentProtocol.MessageType.identitiesAnswer.rawValue)
        // A message split across writes (partial reads, even inside the length) is answered.
        let identities = SSHAgentProtocol.frame([SSHAgentProtocol.MessageType.requestIdentities.rawValue])
        let split = try exchange(
            server.path, pieces: [Array(identities.prefix(2)), Array(identities[2..<4]), Array(identities[4...])], expect: 10)
        #expect(split.count >= 5 && split[4] == SSHAgentProtocol.MessageType.identitiesAnswer.rawValue)
        // Many concurrent clients.
        try await withThrowingTaskGroup(of: Int32.self) { group in
            for _ in 0..<20 { group.addTask { try self.run(["ssh-add", "-L"], socket: server.path).0 } }
            for try await status in group { #expect(status == 0) }
        }
    }

    @Test func protocolRefusesWhatItDoesNotDo() {
        let key = DeployKey.generate()
        let keys = [(key: key, comment: "c")]
        var bind = SSHWireWriter()
        bind.byte(SSHAgentProtocol.MessageType.extension.rawValue)
        bind.string("session-bind@openssh.com")
        #expect(SSHAgentProtocol.respond(to: bind.bytes, keys: keys) == SSHAgentProtocol.failure)
        #expect(SSHAgentProtocol.respond(to: [17], keys: keys) == SSHAgentProtocol.failure)  // ADD_IDENTITY
        #expect(SSHAgentProtocol.respond(to: [], keys: keys) == SSHAgentProtocol.failure)
        var truncated = SSHWireWriter()
        truncated.byte(SSHAgentProtocol.MessageType.signRequest.rawValue)
        truncated.uint32(1000)
        #expect(SSHAgentProtocol.respond(to: truncated.bytes, keys: keys) == SSHAgentProtocol.failure)
        // The seed round-trips, and the public line has the OpenSSH shape.
        let again = try? DeployKey(seed: key.seed)
        #expect(again?.publicKeyBlob == key.publicKeyBlob)
        #expect(key.openSSHPublicKey(comment: "stevedore:x").hasPrefix("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI"))
    }
}
