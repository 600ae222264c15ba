import NIOCore
import NIOSSH

/// Hands the server's host key to ``GitSSHSession/checkHostKey(_:_:)`` (known_hosts, trust
/// on first use).
final class SSHKnownHostsDelegate: NIOSSHClientServerAuthenticationDelegate {
    private let session: GitSSHSession

    init(session: GitSSHSession) { self.session = session }

    func validateHostKey(hostKey: NIOSSHPublicKey, validationCompletePromise: EventLoopPromise<Void>) {
        session.checkHostKey(hostKey, validationCompletePromise)
    }
}
