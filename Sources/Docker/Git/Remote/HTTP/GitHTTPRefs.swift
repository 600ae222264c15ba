import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix

/// Which commit a branch of an `http://` or `https://` remote is at, asked in-process over
/// git's smart HTTP protocol (gitprotocol-http(5), gitprotocol-v2(5)): `GET
/// info/refs?service=git-upload-pack` with `Git-Protocol: version=2`, then for a v2 server one
/// `POST git-upload-pack` with `ls-refs` and `ref-prefix refs/heads/<branch>`, so that a
/// repository with thousands of refs answers with one line; a v0 server's advertisement is
/// read as it streams (only the branch is kept). The answers are read by ``GitHTTPExchange``.
///
/// The ``client`` is shared and long-lived (``sharedClient``): its connections are kept
/// between checks (idle connections live 6 minutes, longer than the default 5-minute poll). Credentials of the URL (`https://user:token@host/…`) go in an
/// `Authorization: Basic` header and never into a message (``GitURL/redacted(_:)``).
/// Redirects of the advertisement are followed as git does (at most ``maxRedirects``;
/// credentials only to the same origin).
public struct GitHTTPRefs: Sendable {
    /// The HTTP client (shared between checks and deployments; its owner shuts it down).
    public let client: HTTPClient
    /// Bytes each answer's body may have: an advertisement past it is refused (default
    /// 64 MiB, ``PktLineDecoder/defaultResponseLimit``).
    public let responseLimit: Int

    /// Redirects of the ref advertisement followed at most: 5.
    public static let maxRedirects = 5
    /// The `User-Agent` sent. Some hosts speak smart HTTP only to agents starting `git/`
    /// (libgit2 sends `git/2.0 (libgit2 …)` for that reason).
    public static let userAgent = "git/2.0 (stevedore)"
    /// How long an idle connection is kept for the next check: 6 minutes.
    public static let idleTimeout = TimeAmount.minutes(6)

    /// - Parameters:
    ///   - client: the HTTP client, e.g. from ``makeClient(eventLoopGroup:)``; the caller
    ///     owns it (shuts it down).
    ///   - responseLimit: bytes each answer may have (default 64 MiB).
    public init(client: HTTPClient, responseLimit: Int = PktLineDecoder.defaultResponseLimit) {
        self.client = client
        self.responseLimit = responseLimit
    }

    /// The process's client for the checks (``makeClient(eventLoopGroup:)`` on
    /// AsyncHTTPClient's default group, NIO's shared singleton): lives as long as the process,
    /// so it is never shut down.
    public static let sharedClient: HTTPClient = makeClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup)

    /// A client for the checks on `eventLoopGroup`: redirects not followed by the client
    /// (``head(url:branch:deployment:timeout:)`` follows them itself, as git does), a failed
    /// connect reported at once (no retries until the deadline), idle connections kept
    /// ``idleTimeout``. Shut it down (`shutdown()`) when done.
    public static func makeClient(eventLoopGroup: any EventLoopGroup) -> HTTPClient {
        var configuration = HTTPClient.Configuration(redirectConfiguration: .disallow, timeout: .init(connect: .seconds(30)))
        configuration.connectionPool = .init(idleTimeout: idleTimeout, concurrentHTTP1ConnectionsPerHostSoftLimit: 4)
        configuration.connectionPool.retryConnectionEstablishment = false
        return HTTPClient(eventLoopGroup: eventLoopGroup, configuration: configuration)
    }

    /// The commit `branch` is at on the remote `url`.
    ///
    /// - Parameters:
    ///   - url: `http://` or `https://`, with or without credentials
    ///     (`https://user:token@git.example.org/o/r.git`).
    ///   - branch: the branch (`main`).
    ///   - deployment: the deployment, for messages.
    ///   - timeout: bounds the whole check: connects, both requests and their bodies. A
    ///     server that never answers, or answers forever, ends here.
    /// - Returns: the commit (40 or 64 lower-case hex digits).
    /// - Throws: ``GitError``: `branchNotFound`; `commandFailed` naming the URL's credentials (HTTP 401, 403);
    ///   `unreachable` (no connection: refused, no route, a name that does not resolve);
    ///   `timedOut(operation: "ls-remote", seconds:)`; `commandFailed` (HTTP 404 "repository
    ///   … not found", another status, a malformed answer, the URL itself). Messages show
    ///   the URL without credentials. ``GitRefDiscovery/Unsupported`` for a dumb HTTP server.
    ///   `CancellationError` when the task is cancelled.
    public func head(url: String, branch: String, deployment: String, timeout: Duration) async throws -> String {
        // AsyncHTTPClient's deadline ends a request whose answer does not begin in time, not a
        // body that never ends: the timer ends the whole check.
        try await withThrowingTaskGroup(of: String.self) { group in
            group.addTask { try await self.check(url: url, branch: branch, deployment: deployment, timeout: timeout) }
            group.addTask {
                try await Task.sleep(for: timeout)
                throw GitError.timedOut(operation: "ls-remote", seconds: Int(timeout.components.seconds))
            }
            defer { group.cancelAll() }
            guard let head = try await group.next() else { throw CancellationError() }
            return head
        }
    }

    /// The check itself (``head(url:branch:deployment:timeout:)`` bounds it).
    private func check(url: String, branch: String, deployment: String, timeout: Duration) async throws -> String {
        let shown = GitURL.redacted(url)
        var remote = try GitHTTPRemote(url: url)
        var exchange = try GitHTTPExchange(url: shown, branch: branch, deployment: deployment, responseLimit: responseLimit)
        let deadline = NIODeadline.now() + TimeAmount.nanoseconds(Self.nanoseconds(timeout))
        do {
            var redirects = 0
            var response: HTTPClientResponse
            while true {
                var request = HTTPClientRequest(url: remote.infoRefsURL)
                request.headers = headers(remote)
                response = try await client.execute(request, deadline: deadline)
                guard [301, 302, 303, 307, 308].contains(response.status.code), let location = response.headers.first(name: "Location")
                else { break }
                redirects += 1
                guard redirects <= Self.maxRedirects else {
                    throw GitError.commandFailed("git ls-remote of \(shown) failed: more than \(Self.maxRedirects) redirects")
                }
                remote = try remote.redirected(to: location)
            }
            try exchange.response(status: Int(response.status.code), contentType: response.headers.first(name: "Content-Type"))
            for try await piece in response.body { try exchange.body(piece.readableBytesView) }
            let body: [UInt8]
            switch try exchange.end() {
            case .head(let head): return head
            case .lsRefs(let request): body = request
            }
            var request = HTTPClientRequest(url: remote.uploadPackURL)
            request.method = .POST
            request.headers = headers(remote)
            request.headers.replaceOrAdd(name: "Content-Type", value: GitHTTPExchange.requestType)
            request.headers.replaceOrAdd(name: "Accept", value: GitHTTPExchange.resultType)
            request.body = .bytes(ByteBuffer(bytes: body))
            let result = try await client.execute(request, deadline: deadline)
            try exchange.response(status: Int(result.status.code), contentType: result.headers.first(name: "Content-Type"))
            for try await piece in result.body { try exchange.body(piece.readableBytesView) }
            guard case .head(let head) = try exchange.end() else {
                throw GitError.commandFailed("git ls-remote of \(shown): the ls-refs answer did not end the check")
            }
            return head
        } catch {
            throw Self.classify(
                error, url: shown, host: remote.host, port: remote.port ?? (remote.scheme == "https" ? 443 : 80),
                timeout: timeout, pastDeadline: NIODeadline.now() >= deadline)
        }
    }

    /// The headers of both requests: the agent, `Git-Protocol: version=2`, the credential.
    private func headers(_ remote: GitHTTPRemote) -> HTTPHeaders {
        var headers = HTTPHeaders()
        headers.add(name: "User-Agent", value: Self.userAgent)
        headers.add(name: "Git-Protocol", value: "version=2")
        headers.add(name: "Pragma", value: "no-cache")
        if let authorization = remote.authorization { headers.add(name: "Authorization", value: authorization) }
        return headers
    }

    /// `duration` in nanoseconds, saturated at `Int64.max`.
    static func nanoseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        guard seconds >= 0 else { return 0 }
        guard seconds < Int64.max / 1_000_000_000 - 1 else { return .max }
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }

    /// A failure of the check as ``GitError`` (the classification `git ls-remote`'s output
    /// gets from ``GitError/classify(_:operation:deployment:)``): errors after the deadline
    /// are the timeout; no connection is `unreachable` with curl's words (`Failed to connect
    /// to HOST port PORT: Connection refused`, `Could not resolve host: HOST`).
    static func classify(_ error: any Error, url: String, host: String, port: Int, timeout: Duration, pastDeadline: Bool) -> any Error {
        if error is GitError || error is GitRefDiscovery.Unsupported || error is CancellationError { return error }
        let seconds = Int(timeout.components.seconds)
        if let client = error as? HTTPClientError {
            switch client {
            case .deadlineExceeded, .readTimeout, .writeTimeout: return GitError.timedOut(operation: "ls-remote", seconds: seconds)
            case .cancelled where pastDeadline: return GitError.timedOut(operation: "ls-remote", seconds: seconds)
            case .cancelled: return CancellationError()
            case .connectTimeout, .getConnectionFromPoolTimeout, .tlsHandshakeTimeout:
                return GitError.unreachable(url: url, detail: "Failed to connect to \(host) port \(port): Connection timed out")
            default: break
            }
        }
        if pastDeadline { return GitError.timedOut(operation: "ls-remote", seconds: seconds) }
        if let connection = error as? NIOConnectionError {
            if connection.dnsAError != nil || connection.dnsAAAAError != nil {
                return GitError.unreachable(url: url, detail: "Could not resolve host: \(host)")
            }
            let reason = connection.connectionErrors.first.map { Self.reason($0.error) } ?? "no address to connect to"
            return GitError.unreachable(url: url, detail: "Failed to connect to \(host) port \(port): \(reason)")
        }
        if error is IOError || error is SocketAddressError {
            return GitError.unreachable(url: url, detail: "Failed to connect to \(host) port \(port): \(Self.reason(error))")
        }
        if case ChannelError.connectTimeout = error {
            return GitError.unreachable(url: url, detail: "Failed to connect to \(host) port \(port): Connection timed out")
        }
        return GitError.commandFailed("git ls-remote of \(url) failed: \(error)")
    }

    /// An error's reason as `strerror` words where it has an errno (`Connection refused`).
    static func reason(_ error: any Error) -> String {
        if let io = error as? IOError { return String(cString: strerror(io.errnoCode)) }
        if error is SocketAddressError { return "Could not resolve host" }
        return "\(error)"
    }
}
