import Foundation
import Testing

@testable import Docker

/// A daemon that is not root (the systemd unit's `stevedore` user) runs its git workers as its
/// own uid: what they write is the daemon's, and ssh runs although the image knows only root.
@Suite struct GitWorkerUserTests {
    static let uid: UInt32 = 4242
    static let gid: UInt32 = 4243

    /// The worker user of a test, its passwd file (as the daemon writes it) in the fixture.
    func user(_ fixture: GitFixture) throws -> GitWorkerUser {
        let file = fixture.dir + "/passwd"
        try GitWorkerUser.passwdText(uid: Self.uid, gid: Self.gid, name: "stevedore").write(
            toFile: file, atomically: true, encoding: .utf8)
        return GitWorkerUser(uid: Self.uid, gid: Self.gid, passwdFile: file)
    }

    /// A directory owned by the worker's user, as the daemon's own directories are.
    func ownedDirectory(_ path: String) throws -> String {
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        #expect(chown(path, Self.uid, Self.gid) == 0)
        return path
    }

    func owner(_ path: String) -> UInt32? {
        var info = stat()
        return lstat(path, &info) == 0 ? info.st_uid : nil
    }

    @Test func aWorkerOfANonRootDaemonWritesFilesOwnedByIt() async throws {
        let fixture = try GitFixture()
        defer { fixture.remove() }
        let checkout = try ownedDirectory(fixture.dir + "/checkout")
        let access = GitAccess(deployment: "uid", agentDirectory: nil, sshDirectory: try ownedDirectory(fixture.dir + "/ssh"))
        let executor = GitWorkerExecutor(
            docker: DockerEngine(), image: Executors.image, extraLabels: ["com.stevedore.test": "worker-user"], user: try user(fixture))
        let result = try await executor.run(
            .clone(url: fixture.bare, branch: "main"), checkout: checkout, access: access, timeout: .seconds(120))
        #expect(result.exitCode == 0, "\(result.output)")
        for path in [checkout + "/a.txt", checkout + "/.git", checkout + "/.git/HEAD", checkout + "/.git/objects"] {
            #expect(owner(path) == Self.uid, "\(path) is owned by uid \(owner(path).map(String.init) ?? "?")")
        }
    }

    @Test func sshRunsAsAUidTheImageDoesNotKnow() async throws {
        let fixture = try GitFixture()
        defer { fixture.remove() }
        // A port nobody listens on: ssh gets as far as connecting, and is refused.
        let listener = try SilentListener()
        let port = listener.port
        listener.close()
        let access = GitAccess(deployment: "uid", agentDirectory: nil, sshDirectory: try ownedDirectory(fixture.dir + "/ssh"))
        let executor = GitWorkerExecutor(
            docker: DockerEngine(), image: Executors.image, extraLabels: ["com.stevedore.test": "worker-user"], user: try user(fixture))
        let result = try await executor.run(
            .lsRemote(url: "ssh://git@127.0.0.1:\(port)/repo.git", branch: "main"), checkout: nil, access: access,
            timeout: .seconds(120))
        #expect(result.exitCode != 0)
        #expect(!result.output.contains("No user exists"), "\(result.output)")
        #expect(result.output.contains("Connection refused"), "\(result.output)")
    }

    /// A local repository of another user (`/srv/git/app.git` of alice, cloned by a daemon
    /// running as `stevedore` or root): git's ownership check ("dubious ownership") must not
    /// refuse it, on the remote side (`upload-pack`) either.
    @Test(arguments: GitMode.allCases)
    func aLocalRepositoryOfAnotherUserIsCheckedAndCloned(mode: GitMode) async throws {
        let fixture = try GitFixture()
        defer { fixture.remove() }
        let head = try fixture.commit("b.txt", "two")
        try fixture.sh("chown -R \(Self.uid):\(Self.gid) '\(fixture.bare)'")
        let git = GitClient(executor: Executors.make(mode), timeout: .seconds(120))
        let access = GitAccess(deployment: "uid", agentDirectory: nil, sshDirectory: fixture.dir + "/ssh")
        try FileManager.default.createDirectory(atPath: access.sshDirectory, withIntermediateDirectories: true)
        #expect(try await git.remoteHead(url: fixture.bare, branch: "main", access: access) == head)
        #expect(try await git.clone(url: fixture.bare, branch: "main", into: fixture.dir + "/checkout", access: access) == head)
        #expect(
            try await git.update(url: fixture.bare, branch: "main", directory: fixture.dir + "/checkout", clean: true, access: access)
                == head)
    }

    @Test func passwdTextHasRootAndTheUserAndNoInjectedLines() {
        #expect(
            GitWorkerUser.passwdText(uid: 999, gid: 998, name: "stevedore")
                == "root:x:0:0:root:/root:/bin/sh\nstevedore:x:999:998:stevedore git worker:/tmp:/bin/sh\n")
        let hostile = GitWorkerUser.passwdText(uid: 999, gid: 998, name: "a:0:0\nroot2")
        #expect(hostile.split(separator: "\n").count == 2)
        #expect(hostile.contains("a_0_0_root2:x:999:998:"))
        #expect(GitWorkerUser(uid: 1, gid: 2, passwdFile: "/p").dockerUser == "1:2")
        #expect(GitWorkerUser(uid: 1, gid: 2, passwdFile: "/p").passwdBind == "/p:/etc/passwd:ro")
    }
}
