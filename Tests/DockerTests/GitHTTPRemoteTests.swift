import Foundation
import Testing

@testable import Docker

/// http(s) remotes for smart HTTP: the base URL, the Basic credential, redirects as git
/// follows them, and credentials kept out of messages (``GitURL/redacted(_:)``).
@Suite struct GitHTTPRemoteTests {
    @Test func baseAndCredential() throws {
        let remote = try GitHTTPRemote(url: "https://ci:s3cr%25t@Git.Example.org:8443/o/r.git/")
        #expect(remote.base == "https://git.example.org:8443/o/r.git")
        #expect(remote.infoRefsURL == "https://git.example.org:8443/o/r.git/info/refs?service=git-upload-pack")
        #expect(remote.uploadPackURL == "https://git.example.org:8443/o/r.git/git-upload-pack")
        // RFC 7617: base64("ci:s3cr%t"), the escape decoded.
        #expect(remote.authorization == "Basic " + Data("ci:s3cr%t".utf8).base64EncodedString())
        // A token as the user alone: an empty password, as git sends after askpass answers nothing.
        #expect(try GitHTTPRemote(url: "https://tok@h/r").authorization == "Basic " + Data("tok:".utf8).base64EncodedString())
        #expect(try GitHTTPRemote(url: "http://h/r").authorization == nil)
        let v6 = try GitHTTPRemote(url: "http://[::1]:3000/r")
        #expect(v6.host == "[::1]" && v6.port == 3000 && v6.base == "http://[::1]:3000/r")
    }

    @Test(arguments: [
        "ftp://h/r", "https://", "https://:443/r", "https://h:0/r", "https://h:65536/r", "https://h:x/r", "https://h/r?x=1",
        "https://h/r#top", "https://h/a b", "http://[::1/r", "http://[::1]x/r", "https//h/r",
    ])
    func refusedURLsAreNamed(url: String) {
        #expect {
            try GitHTTPRemote(url: url)
        } throws: { error in
            guard case GitError.commandFailed(let message) = error else { return false }
            return message.hasPrefix("'\(GitURL.redacted(url))' is not an http(s) Git URL that can be checked: ")
        }
    }

    @Test func redirectsKeepCredentialsOnTheSameOriginOnly() throws {
        let remote = try GitHTTPRemote(url: "https://u:p@h/old/r.git")
        let moved = try remote.redirected(to: "/new/r.git/info/refs?service=git-upload-pack")
        #expect(moved.base == "https://h/new/r.git" && moved.authorization == remote.authorization)
        let elsewhere = try remote.redirected(to: "https://other.example/r.git/info/refs?service=git-upload-pack")
        #expect(elsewhere.base == "https://other.example/r.git" && elsewhere.authorization == nil)
        let downgraded = try remote.redirected(to: "http://h/r.git/info/refs?service=git-upload-pack")
        #expect(downgraded.authorization == nil)
        #expect(throws: GitError.self) { try remote.redirected(to: "https://h/login") }
    }

    @Test func redactionRemovesCredentials() {
        #expect(GitURL.redacted("https://user:token@host/o/r.git") == "https://host/o/r.git")
        #expect(GitURL.redacted("https://token@host/o/r.git") == "https://host/o/r.git")
        #expect(GitURL.redacted("HTTP://a:b@host:8080/r") == "HTTP://host:8080/r")
        #expect(GitURL.redacted("ssh://git@host/r.git") == "ssh://git@host/r.git")
        #expect(GitURL.redacted("ssh://git:pw@host/r.git") == "ssh://host/r.git")
        #expect(GitURL.redacted("git@github.com:o/r.git") == "git@github.com:o/r.git")
        #expect(GitURL.redacted("/srv/git/a@b.git") == "/srv/git/a@b.git")
        #expect(GitURL.redacted("https://host/path@x") == "https://host/path@x")
    }
}
