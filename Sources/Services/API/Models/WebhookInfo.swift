/// `GET /api/repos/NAME/webhook` and `POST /api/repos/NAME/webhook/rotate`: where to point the
/// Git host and the secret to give it.
public struct WebhookInfo: Codable, Sendable {
    /// The deployment.
    public var deployment: String
    /// The branch whose pushes trigger a deploy (others are ignored).
    public var branch: String
    /// The shared secret (64 hex characters): GitHub/Gitea "Secret", GitLab "Secret token".
    public var secret: String
    /// Payload URL per provider: `github`, `gitea` (also Forgejo), `gitlab`.
    public var urls: [String: String]
    /// `true` when this request created or replaced the secret.
    public var created: Bool
}
