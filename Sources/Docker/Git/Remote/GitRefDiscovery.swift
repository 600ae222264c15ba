import AsyncHTTPClient
import NIOCore

/// In-process ref discovery: which commit a branch of a deployment's remote is at, asked
/// without a process or a container (issue 14). Chooses the transport by the URL
/// (``transport(of:)``):
/// - a local path or `file:///path`: the repository's files (``GitLocalRefs``);
/// - `ssh://`, `git+ssh://` or scp-like `user@host:path`: SSH with the deploy key
///   (``GitSSHRefs``);
/// - `http://`, `https://`: smart HTTP (``GitHTTPRefs``).
///
/// Anything else (`git://`, `file://host/…`, a relative path, a dumb HTTP server, a
/// repository keeping its refs as `reftable`) throws ``Unsupported``: the caller asks
/// `git ls-remote` instead (``GitClient/remoteHead(url:branch:access:scratch:sshKeySeed:)``
/// does). Errors are the ``GitError`` cases `git ls-remote` gets for the same failure.
public struct GitRefDiscovery: Sendable {
    /// The SSH transport.
    public let ssh: GitSSHRefs
    /// The smart HTTP transport.
    public let http: GitHTTPRefs

    /// How a URL is asked.
    public enum Transport: Sendable, Equatable {
        /// A repository on this host: its files are read (`path` is absolute).
        case local(path: String)
        /// SSH: ``GitSSHRefs``.
        case ssh
        /// Smart HTTP: ``GitHTTPRefs``.
        case http
    }

    /// A remote the in-process check does not ask: `git ls-remote` does.
    public struct Unsupported: Error, Sendable, Equatable, CustomStringConvertible {
        /// The URL (without credentials).
        public var url: String
        /// Why (`git:// is not asked in-process`).
        public var reason: String

        /// - Parameters:
        ///   - url: the URL, without credentials.
        ///   - reason: why it is not asked in-process.
        public init(url: String, reason: String) {
            self.url = url
            self.reason = reason
        }

        public var description: String { "\(url) is not checked in-process: \(reason)" }
    }

    /// - Parameters:
    ///   - ssh: the SSH transport.
    ///   - http: the smart HTTP transport.
    public init(ssh: GitSSHRefs, http: GitHTTPRefs) {
        self.ssh = ssh
        self.http = http
    }

    /// Both transports on one shared event loop group (the daemon's) and one shared HTTP
    /// client (connections reused between checks; the caller owns it and shuts it down).
    ///
    /// - Parameters:
    ///   - eventLoopGroup: the event loops SSH connections run on (the client's should be the same).
    ///   - httpClient: e.g. ``GitHTTPRefs/makeClient(eventLoopGroup:)``.
    public init(eventLoopGroup: any EventLoopGroup, httpClient: HTTPClient) {
        self.init(ssh: GitSSHRefs(eventLoopGroup: eventLoopGroup), http: GitHTTPRefs(client: httpClient))
    }

    /// The transport for `url`, `nil` when it is not asked in-process (`git://`,
    /// `file://host/path`, a relative path, another scheme).
    public static func transport(of url: String) -> Transport? {
        if let path = GitURL.localPath(url) { return .local(path: path) }
        if GitURL.usesSSH(url) { return .ssh }
        let lower = url.prefix(8).lowercased()
        if lower.hasPrefix("http://") || lower.hasPrefix("https://") { return .http }
        return nil
    }

    /// The commit `branch` is at on `url`.
    ///
    /// - Parameters:
    ///   - url: the deployment's remote.
    ///   - branch: the branch (`main`).
    ///   - deployment: the deployment, for messages.
    ///   - sshKeySeed: the deploy key's Ed25519 seed (32 bytes), needed for SSH URLs only.
    ///   - knownHostsPath: the deployment's `known_hosts` (SSH only).
    ///   - timeout: bounds the whole check.
    /// - Returns: the commit (40 or 64 lower-case hex digits).
    /// - Throws: ``GitError`` (`branchNotFound`, `permissionDenied`, `hostKeyChanged`,
    ///   `unreachable`, `timedOut(operation: "ls-remote", …)`, `commandFailed`; an SSH URL
    ///   without a key is `commandFailed` naming `stevedore repo key`); ``Unsupported`` when
    ///   the URL is not asked in-process, or its SSH server has no algorithm in common with
    ///   SwiftNIO SSH (an RSA-only host key).
    public func head(
        url: String, branch: String, deployment: String, sshKeySeed: [UInt8]?, knownHostsPath: String, timeout: Duration
    ) async throws -> String {
        switch Self.transport(of: url) {
        case .local(let path): return try Self.localHead(url: url, path: path, branch: branch)
        case .ssh:
            guard let sshKeySeed, !sshKeySeed.isEmpty else {
                throw GitError.commandFailed(
                    "'\(deployment)' has no deploy key, which the SSH remote \(GitURL.redacted(url)) needs: `stevedore repo key \(deployment)` makes and prints one"
                )
            }
            return try await ssh.head(
                url: url, branch: branch, deployment: deployment, privateKeySeed: sshKeySeed, knownHostsPath: knownHostsPath,
                timeout: timeout)
        case .http: return try await http.head(url: url, branch: branch, deployment: deployment, timeout: timeout)
        case nil:
            let scheme = url.range(of: "://").map { String(url[..<$0.lowerBound]) + "://" } ?? "a relative path"
            throw Unsupported(url: GitURL.redacted(url), reason: "\(scheme) is not asked in-process")
        }
    }

    /// The commit `branch` is at in the repository at `path` on this host (``GitLocalRefs``),
    /// with the errors `git ls-remote PATH` gets.
    ///
    /// - Parameters:
    ///   - url: the URL as configured (`/srv/git/app.git` or `file:///srv/git/app.git`), for
    ///     messages.
    ///   - path: its absolute path.
    ///   - branch: the branch.
    /// - Throws: ``GitError/branchNotFound(url:branch:)`` (a branch name git refuses
    ///   included: no repository has it); ``GitError/commandFailed(_:)`` ("'PATH' does not
    ///   appear to be a git repository", or what is wrong with a ref file); ``Unsupported``
    ///   for `reftable` refs.
    public static func localHead(url: String, path: String, branch: String) throws -> String {
        do {
            return try GitLocalRefs.head(repository: path, branch: branch)
        } catch let error as GitLocalRefsError {
            throw error.gitError(url: url, branch: branch)
        }
    }
}
