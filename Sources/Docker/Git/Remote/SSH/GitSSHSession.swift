import Dispatch
import Foundation
import NIOCore
import NIOPosix
import NIOSSH

#if canImport(Glibc)
    import Glibc
#endif

/// One check of ``GitSSHRefs``: a TCP connection, the SSH handshake and authentication, one
/// session channel running `git-upload-pack`, and the deadline that ends it all.
///
/// Every mutable property is touched only on ``loop`` (the entry points ``start()`` and
/// ``cancel()`` hop there; the handlers and delegates run there), hence `@unchecked Sendable`.
/// The first outcome recorded wins; ``promise`` is completed once, when the connection is
/// closed, when it never opened, or at the deadline.
final class GitSSHSession: @unchecked Sendable {
    let loop: any EventLoop
    let target: GitSSHURL
    let url: String
    let branch: String
    let deployment: String
    let user: String
    let key: NIOSSHPrivateKey
    let knownHosts: SSHKnownHosts
    let knownHostsPath: String
    let deadline: NIODeadline
    let timeoutSeconds: Int
    /// Completed with the answer or a ``GitError`` (or `CancellationError`).
    let promise: EventLoopPromise<GitSSHAnswer>

    /// How long the polite close after an answer may take (the server's exit and channel
    /// close) before the connection is simply dropped.
    static let closeGrace = TimeAmount.seconds(2)

    /// What the check is doing, for the message of an unexpected end.
    var stage = "connecting"
    private var outcome: Result<GitSSHAnswer, any Error>?
    private var channel: (any Channel)?
    private var connected = false
    private var settled = false
    private var deadlineTask: Scheduled<Void>?
    private var graceTask: Scheduled<Void>?

    init(
        loop: any EventLoop, target: GitSSHURL, url: String, branch: String, deployment: String, user: String, key: NIOSSHPrivateKey,
        knownHosts: SSHKnownHosts, knownHostsPath: String, deadline: NIODeadline, timeoutSeconds: Int
    ) {
        self.loop = loop
        self.target = target
        self.url = url
        self.branch = branch
        self.deployment = deployment
        self.user = user
        self.key = key
        self.knownHosts = knownHosts
        self.knownHostsPath = knownHostsPath
        self.deadline = deadline
        self.timeoutSeconds = timeoutSeconds
        promise = loop.makePromise(of: GitSSHAnswer.self)
    }

    /// Connects (from any thread).
    func start() {
        loop.execute { self.connect() }
    }

    /// Ends the check with `CancellationError` (from any thread).
    func cancel() {
        loop.execute {
            self.record(.failure(CancellationError()))
            self.channel?.close(promise: nil)
            self.settle()
        }
    }

    /// The TCP side of a check: NIO's client bootstrap with its own options and nothing else.
    ///
    /// `TCP_NODELAY` is already NIO's default for a client (`ClientBootstrap`). Setting it again
    /// with `.socketOption(.tcp_nodelay)` would be a bug: that is level `SOL_SOCKET`, where
    /// option 1 is `SO_DEBUG`, which needs `CAP_NET_ADMIN` — as the unprivileged daemon of the
    /// systemd unit every connect failed with `EACCES` ("Permission denied"), and as root it
    /// turned on socket debugging instead (socket(7)).
    static func bootstrap(loop: any EventLoop, connectTimeout: TimeAmount) -> ClientBootstrap {
        ClientBootstrap(group: loop).connectTimeout(connectTimeout)
    }

    private func connect() {
        loop.assertInEventLoop()
        guard !settled else { return }  // cancelled before it started
        deadlineTask = loop.scheduleTask(deadline: deadline) { self.deadlineReached() }
        let remaining = deadline - .now()
        guard remaining > .zero else { return deadlineReached() }
        let bootstrap = Self.bootstrap(loop: loop, connectTimeout: remaining)
            .channelInitializer { channel in
                self.channel = channel
                return channel.eventLoop.makeCompletedFuture {
                    let role = SSHConnectionRole.client(
                        .init(
                            userAuthDelegate: SSHDeployKeyDelegate(session: self), serverAuthDelegate: SSHKnownHostsDelegate(session: self))
                    )
                    let ssh = NIOSSHHandler(role: role, allocator: channel.allocator, inboundChildChannelInitializer: nil)
                    try channel.pipeline.syncOperations.addHandler(TCPQuickAckHandler())
                    try channel.pipeline.syncOperations.addHandler(ssh)
                    try channel.pipeline.syncOperations.addHandler(GitSSHConnectionHandler(session: self))
                }
            }
        bootstrap.connect(host: target.host, port: target.port).whenComplete { result in
            switch result {
            case .success(let channel): self.connected(channel)
            case .failure(let error):
                self.record(.failure(self.classify(error)))
                self.settle()
            }
        }
    }

    private func connected(_ channel: any Channel) {
        loop.assertInEventLoop()
        self.channel = channel
        connected = true
        channel.closeFuture.whenComplete { _ in self.settle() }
        guard outcome == nil else { return channel.close(promise: nil) }
        stage = "the SSH handshake"
        do {
            let ssh = try channel.pipeline.syncOperations.handler(type: NIOSSHHandler.self)
            let child = loop.makePromise(of: (any Channel).self)
            child.futureResult.whenFailure { self.fail($0) }
            ssh.createChannel(child, channelType: .session) { child, _ in
                child.eventLoop.makeCompletedFuture {
                    try child.pipeline.syncOperations.addHandler(GitUploadPackHandler(session: self))
                }
            }
        } catch {
            fail(error)
        }
    }

    /// Checks the server's host key against `known_hosts` (trust on first use).
    func checkHostKey(_ hostKey: NIOSSHPublicKey, _ validation: EventLoopPromise<Void>) {
        loop.assertInEventLoop()
        stage = "the host key check"
        let fields = String(openSSHPublicKey: hostKey).split(separator: " ")
        guard fields.count >= 2, let blob = decodeBase64(fields[1]) else {
            return validation.fail(GitError.commandFailed("the SSH host key of \(target.host) cannot be read"))
        }
        let keyType = String(fields[0])
        let changed = GitError.hostKeyChanged(deployment: deployment, host: GitURL.host(url) ?? target.host)
        // known_hosts has only other key types for the host: OpenSSH would ask for a known
        // type; this client cannot choose the type, so `git ls-remote` asks instead.
        let otherTypes = GitRefDiscovery.Unsupported(
            url: GitURL.redacted(url),
            reason: "known_hosts has only keys of other types than \(keyType) for \(target.host) port \(target.port)")
        switch knownHosts.verdict(host: target.host, port: target.port, keyType: keyType, key: blob) {
        case .trusted: validation.succeed(())
        case .changed, .revoked: validation.fail(changed)
        case .otherTypesOnly: validation.fail(otherTypes)
        case .unknown:
            // First use: the key goes on disk (fsync, rename) before the check trusts it,
            // off the event loop.
            let (host, port, path) = (target.host, target.port, knownHostsPath)
            DispatchQueue.global().async {
                do {
                    switch try SSHKnownHosts.trust(host: host, port: port, keyType: keyType, key: blob, path: path) {
                    case .unknown, .trusted: validation.succeed(())
                    case .changed, .revoked: validation.fail(changed)
                    case .otherTypesOnly: validation.fail(otherTypes)
                    }
                } catch {
                    validation.fail(error)
                }
            }
        }
    }

    /// Records the answer; the upload-pack handler closes the session politely and the
    /// connection ends when the server has closed it (or after ``closeGrace``).
    func answered(_ result: Result<GitSSHAnswer, any Error>) {
        loop.assertInEventLoop()
        record(result)
        let at = min(deadline, .now() + Self.closeGrace)
        graceTask = loop.scheduleTask(deadline: at) {
            self.channel?.close(promise: nil)
            self.settle()
        }
    }

    /// Ends the check with `error` (classified) unless it has an outcome already.
    func fail(_ error: any Error) {
        loop.assertInEventLoop()
        record(.failure(classify(error)))
        channel?.close(promise: nil)
        if !connected { settle() }
    }

    /// The session channel has closed: the connection is closed too.
    func sessionClosed() {
        loop.assertInEventLoop()
        channel?.close(promise: nil)
    }

    private func deadlineReached() {
        loop.assertInEventLoop()
        record(.failure(GitError.timedOut(operation: "ls-remote", seconds: timeoutSeconds)))
        channel?.close(promise: nil)
        settle()
    }

    private func record(_ result: Result<GitSSHAnswer, any Error>) {
        if outcome == nil { outcome = result }
    }

    private func settle() {
        loop.assertInEventLoop()
        guard !settled else { return }
        settled = true
        deadlineTask?.cancel()
        graceTask?.cancel()
        switch outcome {
        case .success(let answer): promise.succeed(answer)
        case .failure(let error): promise.fail(error)
        case nil:
            promise.fail(
                GitError.commandFailed("the SSH server \(target.host) port \(target.port) closed the connection during \(stage) (\(url))"))
        }
    }

    /// The ``GitError`` users see for what went wrong.
    func classify(_ error: any Error) -> any Error {
        switch error {
        case is GitError, is CancellationError, is GitRefDiscovery.Unsupported: return error
        case let error as GitProtocolError: return GitError.commandFailed("git ls-remote failed: \(error.description)")
        case let error as NIOSSHError where error.type == .keyExchangeNegotiationFailure:
            // No algorithm in common (host key, key exchange, cipher or MAC): typically a server
            // with only an RSA host key, which SwiftNIO SSH does not verify. OpenSSH can:
            // `git ls-remote` asks instead (GitClient falls back on Unsupported).
            return GitRefDiscovery.Unsupported(
                url: GitURL.redacted(url),
                reason: "the SSH server \(target.host) port \(target.port) offers no algorithm SwiftNIO SSH has "
                    + "(host keys ssh-ed25519 and ecdsa-sha2-nistp256/384/521; an RSA-only server is asked by git ls-remote)")
        case let error as ChannelError:
            if case .connectTimeout = error { return GitError.timedOut(operation: "ls-remote", seconds: timeoutSeconds) }
            return GitError.commandFailed("SSH connection to \(target.host) port \(target.port) failed during \(stage): \(error) (\(url))")
        case let error as NIOConnectionError:
            if let failure = error.connectionErrors.first { return classify(failure.error) }
            let dns = (error.dnsAError ?? error.dnsAAAAError).map { error -> String in
                (error as? SocketAddressError.UnknownHost)?.errorDescription ?? String(describing: error)
            }
            return GitError.unreachable(url: url, detail: "Could not resolve hostname \(target.host): \(dns ?? "no address")")
        case let error as SocketAddressError.UnknownHost:
            return GitError.unreachable(url: url, detail: "Could not resolve hostname \(target.host): \(error.errorDescription)")
        case let error as IOError:
            let reason = String(cString: strerror(error.errnoCode))
            if Self.unreachableErrnos.contains(error.errnoCode) {
                return GitError.unreachable(url: url, detail: "connect to host \(target.host) port \(target.port): \(reason)")
            }
            return GitError.commandFailed("SSH connection to \(target.host) port \(target.port) failed during \(stage): \(reason) (\(url))")
        default:
            return GitError.commandFailed("SSH connection to \(target.host) port \(target.port) failed during \(stage): \(error) (\(url))")
        }
    }

    /// errno values of a remote that cannot be reached (OpenSSH prints their text).
    static let unreachableErrnos: Set<Int32> = [ECONNREFUSED, ENETUNREACH, EHOSTUNREACH, ETIMEDOUT, ENETDOWN, EHOSTDOWN]

    private func decodeBase64(_ text: Substring) -> [UInt8]? { Data(base64Encoded: String(text)).map { Array($0) } }
}
