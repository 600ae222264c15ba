import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// A client of the admin API, as used by the CLI (docs/API.md).
public struct AdminClient: Sendable {
    /// Base URL, e.g. `http://127.0.0.1:42107`.
    public let baseURL: String
    private let key: String
    private let client: HTTPClient
    /// Timeout of a `POST` (deploys with a build may take minutes); `GET`s wait 30 s.
    public var timeout: TimeAmount

    /// A client that fails at once when nothing listens (AsyncHTTPClient otherwise retries
    /// refused connections until the request deadline). Lives as long as the process.
    public static let defaultClient: HTTPClient = {
        var configuration = HTTPClient.Configuration(timeout: .init(connect: .seconds(5)))
        configuration.connectionPool.retryConnectionEstablishment = false
        return HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
    }()

    /// - Parameters:
    ///   - baseURL: e.g. ``DaemonConfiguration/localBaseURL``.
    ///   - key: the admin key (``AdminKey/load(root:generate:)``).
    ///   - timeout: limit for `POST`s, default 1800 s.
    public init(baseURL: String, key: String, client: HTTPClient = AdminClient.defaultClient, timeout: TimeAmount = .seconds(1800)) {
        self.baseURL = baseURL
        self.key = key
        self.client = client
        self.timeout = timeout
    }

    /// `GET path`, decoded as `T`.
    ///
    /// - Throws: ``AdminClientError``.
    /// - Parameter long: the request may take as long as an operation (a remote check runs
    ///   Git), not the 30 s of a plain read.
    public func get<T: Decodable>(_ path: String, as type: T.Type = T.self, long: Bool = false) async throws -> T {
        try decode(try await send(.GET, path, body: nil, long: long))
    }

    /// `PUT path` with `body` as JSON, decoded as `T`.
    ///
    /// - Throws: ``AdminClientError``.
    public func put<T: Decodable>(_ path: String, body: some Encodable, as type: T.Type = T.self) async throws -> T {
        try decode(try await send(.PUT, path, body: try APICoding.encoder().encode(body)))
    }

    /// `PATCH path` with `body` as JSON, decoded as `T`.
    ///
    /// - Throws: ``AdminClientError``.
    public func patch<T: Decodable>(_ path: String, body: some Encodable, as type: T.Type = T.self) async throws -> T {
        try decode(try await send(.PATCH, path, body: try APICoding.encoder().encode(body)))
    }

    /// `DELETE path`, decoded as `T`.
    ///
    /// - Throws: ``AdminClientError``.
    public func delete<T: Decodable>(_ path: String, as type: T.Type = T.self) async throws -> T {
        try decode(try await send(.DELETE, path, body: nil))
    }

    /// `POST path` with `body` as JSON, decoded as `T`.
    ///
    /// - Throws: ``AdminClientError``.
    public func post<T: Decodable>(_ path: String, body: (some Encodable)?, as type: T.Type = T.self) async throws -> T {
        let data = try body.map { try APICoding.encoder().encode($0) }
        return try decode(try await send(.POST, path, body: data))
    }

    /// The raw status and body of a request (for `/healthz`, which answers 503 with a body).
    public func raw(_ method: HTTPMethod, _ path: String, body: Data? = nil, long: Bool = false) async throws -> (Int, Data) {
        var request = HTTPClientRequest(url: baseURL + path)
        request.method = method
        request.headers.add(name: "Authorization", value: "Bearer \(key)")
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: body))
        }
        return try await mappingErrors {
            let response = try await client.execute(request, timeout: method == .GET && !long ? .seconds(30) : timeout)
            let buffer = try await response.body.collect(upTo: 64 * 1024 * 1024)
            return (Int(response.status.code), Data(buffer.readableBytesView))
        }
    }

    /// Runs `body`, turning transport errors into ``AdminClientError``: a refused or closed
    /// connection is ``AdminClientError/daemonNotRunning(url:detail:)``, anything else
    /// ``AdminClientError/badResponse(_:)``.
    private func mappingErrors<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as HTTPClientError where error == .connectTimeout {
            throw AdminClientError.daemonNotRunning(url: baseURL, detail: String(describing: error))
        } catch let error as HTTPClientError where error == .remoteConnectionClosed {
            throw AdminClientError.connectionLost(url: baseURL, detail: String(describing: error))
        } catch let error as AdminClientError {
            throw error
        } catch {
            let text = String(describing: error)
            if text.contains("connection") || text.contains("Connection") || text.contains("ECONNREFUSED") || text.contains("refused") {
                throw AdminClientError.daemonNotRunning(url: baseURL, detail: text)
            }
            throw AdminClientError.badResponse(text)
        }
    }

    /// The API's `{"error": …}` of an answer outside 2xx (its first 500 bytes when it is not JSON).
    private static func apiError(status: Int, data: Data) -> AdminClientError {
        let message =
            (try? APICoding.decoder().decode(ErrorResponse.self, from: data))?.error ?? String(decoding: data.prefix(500), as: UTF8.self)
        return AdminClientError.api(status: status, message: message)
    }

    /// `GET path` read as newline-delimited lines as they arrive (`follow=1` answers stay
    /// open: no deadline); `line` gets each line without its newline.
    ///
    /// - Throws: ``AdminClientError`` (an error status is read as `{"error": …}`), or what
    ///   `line` throws.
    public func lines(_ path: String, _ line: (ArraySlice<UInt8>) throws -> Void) async throws {
        var request = HTTPClientRequest(url: baseURL + path)
        request.headers.add(name: "Authorization", value: "Bearer \(key)")
        let response = try await mappingErrors { try await client.execute(request, deadline: .distantFuture) }
        guard (200..<300).contains(Int(response.status.code)) else {
            let data = Data(((try? await response.body.collect(upTo: 1024 * 1024)) ?? ByteBuffer()).readableBytesView)
            throw Self.apiError(status: Int(response.status.code), data: data)
        }
        var pending: [UInt8] = []
        for try await chunk in response.body {
            pending.append(contentsOf: chunk.readableBytesView)
            var start = 0
            while let newline = pending[start...].firstIndex(of: 0x0A) {
                try line(pending[start..<newline])
                start = newline + 1
            }
            pending.removeFirst(start)
        }
        if !pending.isEmpty { try line(pending[...]) }
    }

    private func send(_ method: HTTPMethod, _ path: String, body: Data?, long: Bool = false) async throws -> Data {
        let (status, data) = try await raw(method, path, body: body, long: long)
        guard (200..<300).contains(status) else { throw Self.apiError(status: status, data: data) }
        return data
    }

    private func decode<T: Decodable>(_ data: Data) throws -> T {
        do {
            return try APICoding.decoder().decode(T.self, from: data)
        } catch {
            throw AdminClientError.badResponse("\(error)")
        }
    }
}
