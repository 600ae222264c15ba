import Crypto
import Foundation
import NIOCore
import NIOSSH

/// Which commit a branch is at on an SSH remote, asked in-process (issue 14): SwiftNIO SSH
/// with the deployment's deploy key from memory, the deployment's `known_hosts` with
/// OpenSSH's trust on first use, then `git-upload-pack` and its ref advertisement — no
/// process, no container.
///
/// One check is one TCP connection (OpenSSH reuses none either): the SSH transport (RFC 4253;
/// host key checked against `known_hosts` as `StrictHostKeyChecking=accept-new` with
/// `HashKnownHosts=no` does, see ``SSHKnownHosts``), `publickey` authentication with the
/// Ed25519 key (RFC 4252, RFC 8709), one session channel (RFC 4254) with the environment
/// `GIT_PROTOCOL=version=2` and the command `git-upload-pack '<path>'` (``GitSSHURL``).
/// Protocol v2 (gitprotocol-v2(5)) asks `ls-refs` with `ref-prefix refs/heads/<branch>`, so a
/// repository with thousands of refs answers one line; a server that does not get the variable
/// (OpenSSH without `AcceptEnv GIT_PROTOCOL`) answers v0 (gitprotocol-pack(5)), whose
/// advertisement is read through, keeping only the branch. A server that never answers, or
/// answers forever, ends at `timeout`: memory stays bounded (one packet, 8 KiB of stderr).
public struct GitSSHRefs: Sendable {
    private let group: any EventLoopGroup

    /// - Parameter eventLoopGroup: where the connections run (the daemon passes a shared
    ///   group of one thread; a check uses one loop of it and starts no thread).
    public init(eventLoopGroup: any EventLoopGroup) { group = eventLoopGroup }

    /// The commit `branch` points at on the remote at `url`.
    ///
    /// - Parameters:
    ///   - url: `ssh://user@host[:port]/path` or scp-like `user@host:path`, as git accepts
    ///     them (``GitSSHURL``); without a user, the local user's name.
    ///   - branch: the branch (`main`).
    ///   - deployment: the deployment's name, for the messages of ``GitError``.
    ///   - privateKeySeed: the deploy key, the 32-byte Ed25519 seed (`DeployKey.seed`).
    ///   - knownHostsPath: the deployment's `known_hosts` (`<sshDirectory>/known_hosts`), read
    ///     and, on first use of a host, appended to atomically.
    ///   - timeout: bounds the whole check (connect, handshake, authentication, answer).
    /// - Returns: the commit id, 40 (SHA-1) or 64 (SHA-256) lower-case hex digits.
    /// - Throws: ``GitError``: ``GitError/branchNotFound(url:branch:)``;
    ///   ``GitError/permissionDenied(deployment:url:)`` when the server refuses the key;
    ///   ``GitError/hostKeyChanged(deployment:host:)`` when `known_hosts` has other keys for
    ///   the host (the file is left unchanged); ``GitError/unreachable(url:detail:)`` for a
    ///   refused connection, no route or a name that does not resolve;
    ///   ``GitError/timedOut(operation:seconds:)`` (operation `ls-remote`) at `timeout`;
    ///   ``GitError/commandFailed(_:)`` for a bad URL, branch or key, the server's own error
    ///   (an `ERR` packet; stderr and a non-zero exit status, e.g. "fatal: '/x' does not appear
    ///   to be a git repository") and answers that break the protocol.
    ///   ``GitRefDiscovery/Unsupported`` when the server has no algorithm in common with
    ///   SwiftNIO SSH (an RSA-only host key): `git ls-remote` can ask it. `CancellationError`
    ///   when the task is cancelled (the connection is closed).
    public func head(
        url: String, branch: String, deployment: String, privateKeySeed: [UInt8], knownHostsPath: String, timeout: Duration
    ) async throws -> String {
        try await check(
            url: url, branch: branch, deployment: deployment, privateKeySeed: privateKeySeed, knownHostsPath: knownHostsPath,
            timeout: timeout
        ).head
    }

    /// ``head(url:branch:deployment:privateKeySeed:knownHostsPath:timeout:)`` with how the
    /// server answered.
    func check(
        url: String, branch: String, deployment: String, privateKeySeed: [UInt8], knownHostsPath: String, timeout: Duration
    ) async throws -> GitSSHAnswer {
        let target = try GitSSHURL(parsing: url)
        guard GitRefName.isValidBranch(branch) else { throw GitError.commandFailed(GitProtocolError.invalidBranch(branch).description) }
        let signingKey: Curve25519.Signing.PrivateKey
        do {
            signingKey = try Curve25519.Signing.PrivateKey(rawRepresentation: privateKeySeed)
        } catch {
            throw GitError.commandFailed(
                "the deploy key of '\(deployment)' is not an Ed25519 key: its seed has \(privateKeySeed.count) bytes, not 32")
        }
        let knownHosts = try SSHKnownHosts.read(path: knownHostsPath)
        let loop = group.next()
        let session = GitSSHSession(
            loop: loop, target: target, url: url, branch: branch, deployment: deployment, user: target.user ?? Self.localUser(),
            key: NIOSSHPrivateKey(ed25519Key: signingKey), knownHosts: knownHosts, knownHostsPath: knownHostsPath,
            deadline: .now() + Self.timeAmount(timeout), timeoutSeconds: Self.wholeSeconds(timeout))
        return try await withTaskCancellationHandler {
            session.start()
            return try await session.promise.futureResult.get()
        } onCancel: {
            session.cancel()
        }
    }

    /// The login name OpenSSH uses when the URL names none: the effective user's.
    static func localUser() -> String {
        if let entry = getpwuid(geteuid()), let name = entry.pointee.pw_name { return String(cString: name) }
        return ProcessInfo.processInfo.environment["USER"] ?? "root"
    }

    /// `duration` for NIO, clamped to 0…(about 292 years).
    static func timeAmount(_ duration: Duration) -> TimeAmount {
        let (seconds, attoseconds) = duration.components
        guard seconds >= 0 else { return .zero }
        let (whole, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        guard !overflow else { return .nanoseconds(.max) }
        let (sum, overflow2) = whole.addingReportingOverflow(attoseconds / 1_000_000_000)
        return overflow2 ? .nanoseconds(.max) : .nanoseconds(sum)
    }

    /// `duration` in whole seconds, a fraction rounded up (for ``GitError/timedOut(operation:seconds:)``).
    static func wholeSeconds(_ duration: Duration) -> Int {
        let (seconds, attoseconds) = duration.components
        guard seconds >= 0 else { return 0 }
        return Int(clamping: seconds) + (attoseconds > 0 && seconds < .max ? 1 : 0)
    }
}
