import NIOCore

/// The last handler of the TCP connection's pipeline: an error anywhere in the SSH layer
/// (a refused key or host key, a protocol violation, a reset) ends the check with it.
final class GitSSHConnectionHandler: ChannelInboundHandler {
    typealias InboundIn = Any

    private let session: GitSSHSession

    init(session: GitSSHSession) { self.session = session }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        session.fail(error)
    }
}
