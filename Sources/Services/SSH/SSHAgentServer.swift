import Foundation
import NIOCore
import NIOPosix

/// One SSH agent socket (``SSHAgentProtocol``) offering the keys `keys` returns: a unix socket
/// with mode 0600 in a directory with mode 0700. Each connection is served on its own; a
/// malformed message, an oversize length or garbage closes that connection only.
public final class SSHAgentServer: Sendable {
    /// The socket's path.
    public let path: String
    private let channel: any Channel

    private init(path: String, channel: any Channel) {
        self.path = path
        self.channel = channel
    }

    /// Binds `path` (a stale socket file there is replaced; its directory is created with mode
    /// 0700) and serves until ``close()``.
    ///
    /// - Parameter keys: the keys to offer with their comments, asked on every request.
    /// - Throws: file-system or socket errors of the bind.
    public static func start(
        path: String, keys: @escaping @Sendable () -> [(key: DeployKey, comment: String)],
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) async throws -> SSHAgentServer {
        let directory = (path as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(
            atPath: directory, withIntermediateDirectories: true,
            attributes: [.posixPermissions: 0o700])
        chmod(directory, 0o700)
        unlink(path)
        let channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 64)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(AgentFrameDecoder()))
                    try channel.pipeline.syncOperations.addHandler(AgentRequestHandler(keys: keys))
                }
            }
            .bind(unixDomainSocketPath: path)
            .get()
        chmod(path, 0o600)
        return SSHAgentServer(path: path, channel: channel)
    }

    /// Stops listening and removes the socket file. Open connections end on their own.
    public func close() async {
        try? await channel.close()
        unlink(path)
    }
}

/// Splits the byte stream into agent messages; rejects empty and oversize lengths.
struct AgentFrameDecoder: ByteToMessageDecoder {
    typealias InboundOut = [UInt8]

    struct BadLength: Error, CustomStringConvertible {
        var length: UInt32
        var description: String { "SSH agent message length \(length) outside 1...\(SSHAgentProtocol.maximumMessageLength)" }
    }

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let length = buffer.getInteger(at: buffer.readerIndex, as: UInt32.self) else { return .needMoreData }
        guard length >= 1, length <= SSHAgentProtocol.maximumMessageLength else { throw BadLength(length: length) }
        guard buffer.readableBytes >= 4 + Int(length) else { return .needMoreData }
        buffer.moveReaderIndex(forwardBy: 4)
        context.fireChannelRead(Self.wrapInboundOut(buffer.readBytes(length: Int(length))!))
        return .continue
    }
}

/// Answers each message; any error closes the connection.
final class AgentRequestHandler: ChannelInboundHandler, Sendable {
    typealias InboundIn = [UInt8]
    typealias OutboundOut = ByteBuffer

    let keys: @Sendable () -> [(key: DeployKey, comment: String)]

    init(keys: @escaping @Sendable () -> [(key: DeployKey, comment: String)]) { self.keys = keys }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let answer = SSHAgentProtocol.frame(SSHAgentProtocol.respond(to: Self.unwrapInboundIn(data), keys: keys()))
        context.writeAndFlush(Self.wrapOutboundOut(ByteBuffer(bytes: answer)), promise: nil)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}
