import Testing

@testable import Docker

@Suite struct GitURLTests {
    @Test(arguments: [
        ("git@github.com:o/r.git", "github.com", true),
        ("ssh://git@127.0.0.1:2222/srv/r.git", "127.0.0.1", true),
        ("ssh://[::1]:22/r.git", "::1", true),
        ("https://github.com/o/r", "github.com", false),
        ("gitea.local:repo.git", "gitea.local", true),
    ])
    func remoteURLs(url: String, host: String, ssh: Bool) {
        #expect(GitURL.host(url) == host)
        #expect(GitURL.usesSSH(url) == ssh)
        #expect(GitURL.localPath(url) == nil)
    }

    @Test func localURLs() {
        #expect(GitURL.localPath("/srv/r.git") == "/srv/r.git")
        #expect(GitURL.localPath("file:///srv/r.git") == "/srv/r.git")
        #expect(GitURL.host("/srv/r.git") == nil)
        #expect(!GitURL.usesSSH("./relative:odd"))
    }

    @Test func sshCommandQuotesPaths() {
        let command = GitAccess.sshCommand(sshDirectory: "/opt/st evedore/it's")
        #expect(command.contains(#"'IdentityFile=/opt/st evedore/it'\''s/deploy_key.pub'"#))
        #expect(command.hasPrefix("ssh -F /dev/null -o BatchMode=yes"))
    }

    @Test func failuresAreClassified() {
        let op = GitScript.Operation.lsRemote(url: "git@github.com:o/r.git", branch: "main")
        #expect(
            GitError.classify(
                .init(exitCode: 128, output: "git@github.com: Permission denied (publickey).\nfatal: Could not read"), operation: op,
                deployment: "app")
                == .permissionDenied(deployment: "app", url: "git@github.com:o/r.git"))
        #expect(
            GitError.classify(
                .init(exitCode: 128, output: "@@@ WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED! @@@\nHost key verification failed."),
                operation: op, deployment: "app")
                == .hostKeyChanged(deployment: "app", host: "github.com"))
        #expect(
            GitError.hostKeyChanged(deployment: "app", host: "github.com").description.contains("stevedore repo forget-host app github.com")
        )
        #expect(GitError.permissionDenied(deployment: "app", url: "u").description.contains("stevedore repo key app"))
        // No network at boot (issue 13): said as such, with ssh's own line.
        let down = GitError.classify(
            .init(exitCode: 128, output: "ssh: connect to host github.com port 22: Connection refused\nfatal: Could not read from remote"),
            operation: op, deployment: "app")
        #expect(down == .unreachable(url: "git@github.com:o/r.git", detail: "ssh: connect to host github.com port 22: Connection refused"))
        #expect(down.description.contains("cannot be reached") && down.description.contains("retried with backoff"))
        // A checkout damaged by lost writes (found by the read-only state disk drill): cloned anew.
        let damaged = GitError.classify(
            .init(
                exitCode: 128,
                output:
                    "error: object file .git/objects/e6/eae2 is empty\nfatal: loose object e6eae2 (stored in .git/objects/e6/eae2) is corrupt"
            ),
            operation: .update(url: "/srv/r.git", branch: "main", clean: true), deployment: "app")
        #expect(damaged.meansCorruptCheckout)
        #expect(!down.meansCorruptCheckout)
        #expect(!GitError.commandFailed("git fetch failed (exit status 128): fatal: couldn't find remote ref main").meansCorruptCheckout)
    }
}
