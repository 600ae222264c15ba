import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import Synchronization

/// A Docker Engine API client over the unix socket (AsyncHTTPClient, `http+unix://`).
///
/// The API version is taken from `GET /_ping`'s `API-Version` header on first use, and every
/// request sets a `Host` header (dockerd answers 400 without one, and AsyncHTTPClient sends
/// none over `http+unix://`). Reference: Docker Engine API v1.41.
public final class DockerEngine: Sendable {
    /// The socket path, e.g. `/var/run/docker.sock`.
    public let socketPath: String
    private let client: HTTPClient
    private let apiVersion = Mutex<String?>(nil)
    /// Per-request timeout.
    public let requestTimeout: TimeAmount

    /// - Parameters:
    ///   - socketPath: the engine's socket; default `DOCKER_HOST` if it is `unix://…`, else
    ///     `/var/run/docker.sock`.
    ///   - client: the HTTP client; default ``defaultClient``.
    ///   - requestTimeout: limit for one request, connection included.
    /// A client whose connect timeout is short: a missing or dead socket must be reported
    /// at once (degraded), not after the request timeout. Lives as long as the process.
    public static let defaultClient: HTTPClient = {
        var configuration = HTTPClient.Configuration(timeout: .init(connect: .seconds(3), read: .seconds(60)))
        configuration.connectionPool.retryConnectionEstablishment = false
        return HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
    }()

    /// Creates a client; nothing is sent until the first call.
    ///
    public init(socketPath: String? = nil, client: HTTPClient = DockerEngine.defaultClient, requestTimeout: TimeAmount = .seconds(30)) {
        if let socketPath {
            self.socketPath = socketPath
        } else if let host = ProcessInfo.processInfo.environment["DOCKER_HOST"], host.hasPrefix("unix://") {
            self.socketPath = String(host.dropFirst("unix://".count))
        } else {
            self.socketPath = "/var/run/docker.sock"
        }
        self.client = client
        self.requestTimeout = requestTimeout
    }

    /// `GET /_ping`.
    ///
    /// - Returns: the engine's API version (e.g. `1.41`).
    /// - Throws: ``DockerError``.
    @discardableResult
    public func ping() async throws -> String {
        let (response, _) = try await send(path: "/_ping", versioned: false)
        let version = response.headers.first(name: "API-Version") ?? "1.41"
        apiVersion.withLock { $0 = version }
        return version
    }

    /// Containers of a Compose project (label `com.docker.compose.project=<project>`),
    /// running or not.
    ///
    /// - Throws: ``DockerError``.
    public func containers(project: String) async throws -> [ContainerSummary] {
        try await containers(labels: ["com.docker.compose.project=\(project)"])
    }

    /// Containers (running or not) carrying every one of `labels` (`key` or `key=value`).
    ///
    /// - Throws: ``DockerError``.
    public func containers(labels: [String]) async throws -> [ContainerSummary] {
        let filters = try JSONEncoder().encode(["label": labels])
        let (_, body) = try await send(
            path: "/containers/json?all=1&filters=\(Self.queryEscaped(String(decoding: filters, as: UTF8.self)))")
        return try JSONLimits.decode([ContainerSummary].self, from: body)
    }

    /// `GET /containers/{id}/json`.
    ///
    /// - Throws: ``DockerError``.
    public func inspect(container id: String) async throws -> ContainerDetails {
        let (_, body) = try await send(path: "/containers/\(id)/json")
        return try JSONLimits.decode(ContainerDetails.self, from: body)
    }

    /// `POST /containers/{id}/start`: starts an existing, stopped container with the
    /// configuration it was created with (304 "already started" counts as success).
    ///
    /// - Throws: ``DockerError``.
    public func start(container id: String) async throws {
        do {
            _ = try await send(path: "/containers/\(id)/start", method: .POST)
        } catch DockerError.api(let status, _, _) where status == 304 {
        }
    }

    private func versionPrefix() async throws -> String {
        if let version = apiVersion.withLock({ $0 }) { return "/v\(version)" }
        return "/v\(try await ping())"
    }

    /// The request for `path` (API-versioned unless `versioned` is false), with the `Host`
    /// header dockerd needs and `body` as JSON.
    func makeRequest(path: String, method: HTTPMethod = .GET, body: Data? = nil, versioned: Bool = true) async throws -> HTTPClientRequest {
        let fullPath = versioned ? try await versionPrefix() + path : path
        let encodedSocket = socketPath.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? socketPath
        var request = HTTPClientRequest(url: "http+unix://\(encodedSocket)\(fullPath)")
        request.method = method
        request.headers.add(name: "Host", value: "docker")
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: body))
        }
        return request
    }

    /// Sends one request; `body` is sent as JSON. Statuses outside 2xx throw ``DockerError/api(status:message:path:)``.
    func send(
        path: String, method: HTTPMethod = .GET, body: Data? = nil, timeout: TimeAmount? = nil,
        versioned: Bool = true
    ) async throws -> (HTTPClientResponse, Data) {
        guard FileManager.default.fileExists(atPath: socketPath) else {
            throw DockerError.unreachable(socket: socketPath, detail: "no such socket (is dockerd running?)")
        }
        let request = try await makeRequest(path: path, method: method, body: body, versioned: versioned)
        let response: HTTPClientResponse
        let received: ByteBuffer
        do {
            response = try await client.execute(request, timeout: timeout ?? requestTimeout)
            received = try await response.body.collect(upTo: 32 * 1024 * 1024)
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            if Task.isCancelled { throw CancellationError() }
            throw DockerError.unreachable(socket: socketPath, detail: String(describing: error))
        }
        let data = Data(received.readableBytesView)
        guard (200..<300).contains(Int(response.status.code)) else {
            let message =
                (try? JSONLimits.decode([String: String].self, from: data))?["message"]
                ?? String(decoding: data.prefix(300), as: UTF8.self)
            throw DockerError.api(status: Int(response.status.code), message: message, path: path)
        }
        return (response, data)
    }
}
