import NIOCore
import NIOSSH

/// Offers the deploy key once (RFC 4252 §7, `publickey` with a signature): a server that
/// refuses it, or offers no `publickey` method at all, ends the check with
/// ``GitError/permissionDenied(deployment:url:)`` (what OpenSSH reports as
/// `Permission denied (publickey)`).
final class SSHDeployKeyDelegate: NIOSSHClientUserAuthenticationDelegate {
    private let session: GitSSHSession
    private var offered = false

    init(session: GitSSHSession) { self.session = session }

    func nextAuthenticationType(
        availableMethods: NIOSSHAvailableUserAuthenticationMethods, nextChallengePromise: EventLoopPromise<NIOSSHUserAuthenticationOffer?>
    ) {
        guard !offered, availableMethods.contains(.publicKey) else {
            return nextChallengePromise.fail(GitError.permissionDenied(deployment: session.deployment, url: session.url))
        }
        offered = true
        session.stage = "authentication"
        nextChallengePromise.succeed(
            NIOSSHUserAuthenticationOffer(username: session.user, serviceName: "", offer: .privateKey(.init(privateKey: session.key))))
    }
}
