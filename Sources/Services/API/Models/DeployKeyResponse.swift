import Store

/// Answers of the repository and check endpoints (docs/API.md). JSON keys are snake_case
/// (``APICoding``).

/// `GET /api/repos/NAME/key` and part of `POST /api/repos`' answer: the deploy key's public
/// half and, for GitHub remotes, where and how to register it.
public struct DeployKeyResponse: Codable, Sendable, Equatable {
    /// The deployment.
    public var deployment: String
    /// The OpenSSH public key line: `ssh-ed25519 AAAA… stevedore:<name>`.
    public var publicKey: String
    /// Present when the URL is a GitHub repository.
    public var github: GitHubDeployKeyHint?
}
