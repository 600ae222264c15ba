import NIOCore

#if canImport(Glibc)
    import Glibc
#endif

/// Acknowledges every TCP segment at once (`TCP_QUICKACK`, tcp(7)), re-armed after each read
/// since Linux leaves quick-ack mode on its own.
///
/// Why: sshd leaves Nagle's algorithm on for a session without a terminal, so a small packet
/// it sends while an earlier one is unacknowledged waits for our ACK, which Linux delays by up
/// to 40 ms. The handshake has several such moments (after authentication sshd sends its
/// `hostkeys-00@openssh.com` notice, then the channel confirmation): a check on loopback took
/// about 90 ms of wall time with delayed ACKs.
final class TCPQuickAckHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    static let option = ChannelOptions.Types.SocketOption(level: SocketOptionLevel(IPPROTO_TCP), name: SocketOptionName(TCP_QUICKACK))

    func channelActive(context: ChannelHandlerContext) {
        quickAck(context)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        quickAck(context)
        context.fireChannelRead(data)
    }

    private func quickAck(_ context: ChannelHandlerContext) {
        // Best effort: a failure only costs latency.
        try? context.channel.syncOptions?.setOption(Self.option, value: 1)
    }
}
