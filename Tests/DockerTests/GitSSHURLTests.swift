import Foundation
import Testing

@testable import Docker

/// ``GitSSHURL`` against git itself: the real `git ls-remote` runs with `GIT_SSH` pointing
/// at a script that records the arguments git gives ssh (`-p port`, `user@host`, the
/// command), and the parse must say the same.
@Suite struct GitSSHURLTests {
    static let accepted = [
        "git@github.com:o/r.git", "ssh://git@github.com/o/r.git", "ssh://git@127.0.0.1:2222/srv/r.git", "ssh://[::1]:22/r.git",
        "ssh://git@[fe80::1]:2222/~alice/r.git", "git+ssh://host/path%20with%20space.git", "ssh+git://user@host:/r",
        "[git@host.example:2222]:repo.git", "host.example:~bob/repo", "host:/~carol/r.git", "user@host:path/it's!.git",
        "ssh://host/%7Euser/r", "ssh://host/", "ssh://a@b@c:22/r", "ssh://h%3a22/r", "ssh://[h:22]/r", "x@[y]:z", "ssh://h/-x",
        "ssh://Git@GitHub.COM/o/r",
    ]

    /// What git hands ssh for `url`: `(user@host, port or nil, command)`, or nil when git
    /// refuses the URL itself.
    static func gitsView(_ url: String, in dir: String) throws -> (destination: String, port: String?, command: String)? {
        let script = dir + "/fake-ssh"
        try "#!/bin/sh\nfor a in \"$@\"; do printf '%s\\n' \"$a\"; done > \"\(dir)/args\"\nexit 1\n".write(
            toFile: script, atomically: true, encoding: .utf8)
        chmod(script, 0o755)
        try? FileManager.default.removeItem(atPath: dir + "/args")
        let quoted = "'" + url.replacingOccurrences(of: "'", with: #"'\''"#) + "'"
        try SSHTestServer.run(
            "cd '\(dir)' && HOME='\(dir)' GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null GIT_SSH='\(script)' GIT_SSH_VARIANT=ssh git ls-remote \(quoted)",
            allowFailure: true)
        guard let text = try? String(contentsOfFile: dir + "/args", encoding: .utf8) else { return nil }
        var args = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init).dropLast()[...]
        var port: String?
        while let first = args.first, first.hasPrefix("-") {
            args = args.dropFirst()
            if first == "-p" { port = args.popFirst() } else if first == "-o" { _ = args.popFirst() }
        }
        guard args.count == 2 else { return nil }
        return (args[args.startIndex], port, args[args.startIndex + 1])
    }

    @Test("URLs git accepts: the same user, host, port and git-upload-pack command as git's own")
    func sameAsGit() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("giturl-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for url in Self.accepted {
            let parsed = try GitSSHURL(parsing: url)
            let git = try #require(try Self.gitsView(url, in: dir), "git refused \(url)")
            #expect(git.destination == (parsed.user.map { $0 + "@" } ?? "") + parsed.host, "\(url)")
            #expect((git.port.flatMap { Int($0) } ?? 22) == parsed.port, "\(url)")
            #expect(git.command == parsed.uploadPackCommand, "\(url)")
        }
    }

    @Test(
        "URLs refused with a message naming them (git refuses them too, or ssh would fail on them)",
        arguments: [
            "ssh://host", "host:", "ssh://-oProxyCommand=x/r", "h:-x", "ssh://u@h:abc/r", "ssh://h:0/r", "ssh://h:65536/r", "ssh://@h/r",
            "https://github.com/o/r", "/srv/r.git", "./a:b", "file:///srv/r.git", "ssh:///r",
        ])
    func refused(url: String) {
        let error = #expect(throws: GitError.self) { try GitSSHURL(parsing: url) }
        guard case .commandFailed(let message)? = error else {
            Issue.record("\(String(describing: error))")
            return
        }
        #expect(message.contains("'\(url)'"), "\(message)")
    }

    @Test("quoting as git's sq_quote_buf, on scalars: a combining mark cannot hide a quote")
    func quoting() {
        #expect(GitSSHURL.shellQuoted("it's!") == #"'it'\''s'\!''"#)
        #expect(GitSSHURL.shellQuoted("a'\u{301}; b") == "'a'\\''\u{301}; b'")
        #expect(GitSSHURL.shellQuoted("") == "''")
    }

    @Test func knownHostsNames() throws {
        #expect(try GitSSHURL(parsing: "git@GitHub.com:o/r").knownHostsName == "github.com")
        #expect(try GitSSHURL(parsing: "ssh://git@127.0.0.1:2222/r").knownHostsName == "[127.0.0.1]:2222")
        #expect(try GitSSHURL(parsing: "ssh://[::1]:2222/r").knownHostsName == "[::1]:2222")
        #expect(try GitSSHURL(parsing: "ssh://[::1]:22/r").knownHostsName == "::1")
        #expect(try GitSSHURL(parsing: "h:r").user == nil)
    }
}
