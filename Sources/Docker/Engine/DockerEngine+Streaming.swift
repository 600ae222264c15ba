import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

extension DockerEngine {
    /// The client of long-lived streams (`follow=1` logs, `/events`): no read timeout (a quiet
    /// container may print nothing for days), a short connect timeout, and room for one
    /// connection per followed container (AsyncHTTPClient keeps 8 per host by default).
    /// Lives as long as the process.
    public static let streamingClient: HTTPClient = {
        var configuration = HTTPClient.Configuration(timeout: .init(connect: .seconds(3), read: nil))
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = 1024
        configuration.connectionPool.idleTimeout = .seconds(30)
        return HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
    }()

    /// Opens a long-lived `GET` of `path` and returns its body as it arrives (AsyncHTTPClient
    /// applies back-pressure: an unread body stops reading from the socket).
    ///
    /// - Throws: ``DockerError/unreachable(socket:detail:)`` when the socket does not answer,
    ///   ``DockerError/api(status:message:path:)`` for a status outside 2xx (the error body
    ///   is read, up to 64 KiB), `CancellationError`.
    public func stream(path: String) async throws -> HTTPClientResponse.Body {
        guard FileManager.default.fileExists(atPath: socketPath) else {
            throw DockerError.unreachable(socket: socketPath, detail: "no such socket (is dockerd running?)")
        }
        let request = try await makeRequest(path: path)
        let response: HTTPClientResponse
        do {
            response = try await Self.streamingClient.execute(request, deadline: .distantFuture)
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            if Task.isCancelled { throw CancellationError() }
            throw DockerError.unreachable(socket: socketPath, detail: String(describing: error))
        }
        guard (200..<300).contains(Int(response.status.code)) else {
            let data = (try? await response.body.collect(upTo: 64 * 1024)).map { Data($0.readableBytesView) } ?? Data()
            let message =
                (try? JSONLimits.decode([String: String].self, from: data))?["message"]
                ?? String(decoding: data.prefix(300), as: UTF8.self)
            throw DockerError.api(status: Int(response.status.code), message: message, path: path)
        }
        return response.body
    }

    /// `GET /events?filters=…`: container events as they happen, one JSON object per line
    /// (Engine API "SystemEvents").
    ///
    /// - Parameter events: the container actions to receive, e.g. `["start", "die"]`.
    /// - Parameter labels: only containers with every one of these labels.
    /// - Throws: as ``stream(path:)``.
    public func containerEvents(_ events: [String], labels: [String]) async throws -> HTTPClientResponse.Body {
        let filters = try JSONEncoder().encode(["type": ["container"], "event": events, "label": labels])
        return try await stream(path: "/events?filters=\(Self.queryEscaped(String(decoding: filters, as: UTF8.self)))")
    }
}

extension DockerEngine {
    /// Follows a long-lived `GET` of `path`, handing each received piece of the body to `body`
    /// on the client's event loop: no hop to another thread per piece, which is what a log
    /// stream of one small HTTP chunk per line needs. `body` returns a future to hold back
    /// further reading until it completes (back-pressure), or `nil` to go on at once; a
    /// failed future ends the request with its error.
    ///
    /// - Throws: ``DockerError/unreachable(socket:detail:)``, ``DockerError/api(status:message:path:)``
    ///   for a status outside 2xx, the error of a failed future from `body`, `CancellationError`.
    public func follow(
        path: String, body: @escaping @Sendable (ByteBuffer, any EventLoop) -> EventLoopFuture<Void>?
    ) async throws {
        guard FileManager.default.fileExists(atPath: socketPath) else {
            throw DockerError.unreachable(socket: socketPath, detail: "no such socket (is dockerd running?)")
        }
        let asyncRequest = try await makeRequest(path: path)
        var request = try HTTPClient.Request(url: asyncRequest.url, method: .GET)
        request.headers.add(name: "Host", value: "docker")
        let delegate = FollowDelegate(path: path, body: body)
        let task = Self.streamingClient.execute(request: request, delegate: delegate, deadline: nil)
        do {
            try await withTaskCancellationHandler {
                try await task.futureResult.get()
            } onCancel: {
                task.cancel()
            }
        } catch let error as DockerError {
            throw error
        } catch {
            if Task.isCancelled { throw CancellationError() }
            if delegate.receivedHead { throw error }
            throw DockerError.unreachable(socket: socketPath, detail: String(describing: error))
        }
    }

    /// `GET /containers/{id}/logs?follow=1&stdout=1&stderr=1&timestamps=1&since=…` through
    /// ``follow(path:body:)``: the container's output from `since` on, each message prefixed
    /// with its RFC 3339 timestamp with nine fractional digits and a space (Engine API
    /// "ContainerLogs"), in ``LogFrameDemuxer``'s frames unless the container has a TTY; the
    /// request ends when the container stops.
    ///
    /// - Parameter since: Unix time in seconds with up to nine fractional digits
    ///   (`1733072400.123456789`); messages at exactly `since` are included; `nil`: all.
    /// - Throws: as ``follow(path:body:)``; ``DockerError/api(status:message:path:)`` 404
    ///   when the container is gone.
    public func followLogs(
        container id: String, since: String?, body: @escaping @Sendable (ByteBuffer, any EventLoop) -> EventLoopFuture<Void>?
    ) async throws {
        var path = "/containers/\(id)/logs?follow=1&stdout=1&stderr=1&timestamps=1"
        if let since { path += "&since=\(since)" }
        try await follow(path: path, body: body)
    }
}

/// The delegate of ``DockerEngine/follow(path:body:)``: passes 2xx bodies on, collects an
/// error answer's body (up to 64 KiB) for the message.
final class FollowDelegate: HTTPClientResponseDelegate, @unchecked Sendable {
    typealias Response = Void
    private let path: String
    private let body: @Sendable (ByteBuffer, any EventLoop) -> EventLoopFuture<Void>?
    private var status = 0
    private var errorBody = ByteBuffer()
    /// Set on the event loop before the first body piece; read after the request ended.
    private(set) var receivedHead = false

    init(path: String, body: @escaping @Sendable (ByteBuffer, any EventLoop) -> EventLoopFuture<Void>?) {
        self.path = path
        self.body = body
    }

    func didReceiveHead(task: HTTPClient.Task<Void>, _ head: HTTPResponseHead) -> EventLoopFuture<Void> {
        status = Int(head.status.code)
        receivedHead = true
        return task.eventLoop.makeSucceededVoidFuture()
    }

    func didReceiveBodyPart(task: HTTPClient.Task<Void>, _ buffer: ByteBuffer) -> EventLoopFuture<Void> {
        guard (200..<300).contains(status) else {
            var copy = buffer
            if errorBody.readableBytes < 64 * 1024 { errorBody.writeBuffer(&copy) }
            return task.eventLoop.makeSucceededVoidFuture()
        }
        return body(buffer, task.eventLoop) ?? task.eventLoop.makeSucceededVoidFuture()
    }

    func didFinishRequest(task: HTTPClient.Task<Void>) throws {
        guard (200..<300).contains(status) else {
            let data = Data(errorBody.readableBytesView)
            let message =
                (try? JSONLimits.decode([String: String].self, from: data))?["message"]
                ?? String(decoding: data.prefix(300), as: UTF8.self)
            throw DockerError.api(status: status, message: message, path: path)
        }
    }
}
