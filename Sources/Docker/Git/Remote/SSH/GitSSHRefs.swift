import NIOCore

/// Which commit a branch of an SSH remote is at, asked in-process (SwiftNIO SSH,
/// `git-upload-pack` with protocol v2's `ls-refs`).
///
/// A stub until the SSH transport lands (issue 14, written separately with exactly this API):
/// every check throws.
public struct GitSSHRefs: Sendable {
    /// The event loops the SSH connections run on.
    public let eventLoopGroup: any EventLoopGroup

    /// - Parameter eventLoopGroup: the daemon's shared event loops.
    public init(eventLoopGroup: any EventLoopGroup) {
        self.eventLoopGroup = eventLoopGroup
    }

    /// The commit `branch` points at on the remote `url`.
    ///
    /// - Parameters:
    ///   - url: `ssh://user@host[:port]/path` or scp-like `user@host:path`.
    ///   - branch: the branch (`main`).
    ///   - deployment: the deployment, for messages.
    ///   - privateKeySeed: the deploy key's Ed25519 seed (32 bytes), from memory.
    ///   - knownHostsPath: the deployment's `known_hosts` (trust on first use).
    ///   - timeout: bounds the whole check.
    /// - Throws: ``GitError/commandFailed(_:)`` (not built yet).
    public func head(
        url: String, branch: String, deployment: String, privateKeySeed: [UInt8], knownHostsPath: String, timeout: Duration
    ) async throws -> String {
        throw GitError.commandFailed("ssh in-process not built yet")
    }
}
