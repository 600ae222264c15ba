import Foundation
import NIOCore
import NIOSSH

/// The session channel of a check: asks for protocol v2 (`env GIT_PROTOCOL=version=2`,
/// RFC 4254 §6.4; OpenSSH passes it only with `AcceptEnv GIT_PROTOCOL`), runs
/// `git-upload-pack '<path>'` (`exec`, §6.5) and reads its answer (gitprotocol-pack(5),
/// gitprotocol-v2(5)): a v0/v1 advertisement carries the refs; a v2 capability advertisement
/// is followed by an `ls-refs` request for `refs/heads/<branch>` and its answer. Then it says
/// goodbye as git does (a flush-pkt, then EOF) and waits for the server to close the channel.
///
/// Bounded against a hostile server: the decoder keeps at most one packet and refuses an
/// answer past ``PktLineDecoder/defaultResponseLimit``; at most ``stderrLimit`` bytes of
/// stderr are kept, and more than ``stderrBudget`` ends the check (a server that writes to
/// stderr forever would otherwise keep it reading, and decrypting, until its deadline);
/// anything after the answer is dropped; the session's deadline ends the rest.
final class GitUploadPackHandler: ChannelInboundHandler {
    typealias InboundIn = SSHChannelData
    typealias OutboundOut = SSHChannelData

    /// The most stderr bytes kept for an error message.
    static let stderrLimit = 8 << 10
    /// The most stderr bytes read before the check fails: 1 MiB (git writes a line or two).
    static let stderrBudget = 1 << 20

    private enum Phase {
        case advertisement(GitServerAdvertisement.Reader)
        case lsRefs(GitLsRefs.Reader)
        case done

        /// Still waiting for the answer.
        var isReading: Bool {
            if case .done = self { return false }
            return true
        }
    }

    private let session: GitSSHSession
    private var phase: Phase
    private var decoder = PktLineDecoder()
    /// Bytes of the answer so far (the decoder's count, kept apart: the decoder is busy while
    /// its packets are read).
    private var received = 0
    private var stderr: [UInt8] = []
    private var stderrReceived = 0
    private var exitStatus: Int?
    private var exitSignal: String?

    init(session: GitSSHSession) throws {
        self.session = session
        phase = .advertisement(try GitServerAdvertisement.Reader(branch: session.branch))
    }

    func handlerAdded(context: ChannelHandlerContext) {
        // The server's EOF comes before its exit status: keep the channel open until it closes.
        let session = self.session
        context.channel.setOption(ChannelOptions.allowRemoteHalfClosure, value: true).whenFailure { error in
            session.fail(error)
        }
    }

    func channelActive(context: ChannelHandlerContext) {
        session.stage = "git-upload-pack"
        let protocolV2 = SSHChannelRequestEvent.EnvironmentRequest(wantReply: false, name: "GIT_PROTOCOL", value: "version=2")
        context.triggerUserOutboundEvent(protocolV2, promise: nil)
        let exec = SSHChannelRequestEvent.ExecRequest(command: session.target.uploadPackCommand, wantReply: true)
        context.triggerUserOutboundEvent(exec, promise: nil)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let message = unwrapInboundIn(data)
        guard case .byteBuffer(let buffer) = message.data else { return }
        if message.type == .stdErr {
            let room = Self.stderrLimit - stderr.count
            if room > 0 { stderr += buffer.readableBytesView.prefix(room) }
            stderrReceived += buffer.readableBytes
            if stderrReceived > Self.stderrBudget, phase.isReading {
                phase = .done
                session.fail(
                    GitError.commandFailed(
                        "git ls-remote failed: the server of \(session.url) wrote more than \(Self.stderrBudget >> 20) MiB to stderr without an answer"
                    ))
            }
            return
        }
        guard message.type == .channel else { return }
        if case .done = phase { return }
        received += buffer.readableBytes
        do {
            try decoder.feed(buffer.readableBytesView) { packet in try self.read(packet, context: context) }
        } catch {
            phase = .done
            session.fail(error)
        }
    }

    private func read(_ packet: PktLine, context: ChannelHandlerContext) throws {
        switch phase {
        case .advertisement(var reader):
            phase = .done  // the reader is taken out, so reading it copies nothing
            let answer = try reader.read(packet)
            phase = .advertisement(reader)
            switch answer {
            case nil: return
            case .version0(let refs)?: answered(refs.head, version: refs.isVersion1 ? 1 : 0, context: context)
            case .version2(let capabilities)?:
                guard capabilities.offers("ls-refs") else {
                    throw GitError.commandFailed("git ls-remote failed: the server of \(session.url) speaks protocol v2 without 'ls-refs'")
                }
                let request = try GitLsRefs.request(branch: session.branch, objectFormat: capabilities.objectFormat)
                phase = .lsRefs(try GitLsRefs.Reader(branch: session.branch, objectFormat: capabilities.objectFormat))
                write(request, context: context)
            }
        case .lsRefs(var reader):
            phase = .done
            let done = try reader.read(packet)
            phase = .lsRefs(reader)
            if done { answered(reader.head, version: 2, context: context) }
        case .done:
            return
        }
    }

    /// The answer is in: record it, then end the session as git does (a flush-pkt: no wants
    /// in v0, no further command in v2; then EOF).
    private func answered(_ head: String?, version: Int, context: ChannelHandlerContext) {
        phase = .done
        if let head {
            session.answered(.success(GitSSHAnswer(head: head, protocolVersion: version, answerBytes: received)))
        } else {
            session.answered(.failure(GitError.branchNotFound(url: session.url, branch: session.branch)))
        }
        write(Array("0000".utf8), context: context)
        context.close(mode: .output, promise: nil)
    }

    private func write(_ bytes: [UInt8], context: ChannelHandlerContext) {
        let buffer = context.channel.allocator.buffer(bytes: bytes)
        context.writeAndFlush(wrapOutboundOut(SSHChannelData(type: .channel, data: .byteBuffer(buffer))), promise: nil)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        switch event {
        case let status as SSHChannelRequestEvent.ExitStatus: exitStatus = status.exitStatus
        case let signal as SSHChannelRequestEvent.ExitSignal: exitSignal = signal.signalName
        case is ChannelFailureEvent:
            session.fail(GitError.commandFailed("git ls-remote failed: the SSH server of \(session.url) refused to run git-upload-pack"))
        default: context.fireUserInboundEventTriggered(event)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        let error: GitError
        switch phase {
        case .done:
            session.sessionClosed()
            return
        case .advertisement(let reader): error = endedEarly { try reader.finish() }
        case .lsRefs(let reader): error = endedEarly { try reader.finish() }
        }
        phase = .done
        session.fail(error)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        session.fail(error)
    }

    /// Why the channel closed before the answer: the server's words (stderr and exit status,
    /// e.g. "fatal: '/x' does not appear to be a git repository"), else what the protocol
    /// misses (`finish` is the reader's).
    private func endedEarly(_ finish: () throws -> Void) -> GitError {
        let text = String(decoding: stderr, as: UTF8.self)
        let lines = text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        let how =
            exitSignal.map { "killed by signal \($0) on the server" } ?? exitStatus.map { "remote exit status \($0)" } ?? "no exit status"
        if !lines.isEmpty || (exitStatus ?? 0) != 0 || exitSignal != nil {
            let words = lines.suffix(15).joined(separator: "\n")
            return .commandFailed("git ls-remote failed (\(how)): \(words.isEmpty ? "git-upload-pack said nothing" : words)")
        }
        do {
            try decoder.finish()
            try finish()
            return .commandFailed("git ls-remote failed (\(how)): git-upload-pack ended before its answer")
        } catch {
            return .commandFailed("git ls-remote failed (\(how)): \(error)")
        }
    }
}
