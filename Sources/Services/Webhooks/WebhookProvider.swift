import Crypto
import Foundation
import Store

/// A Git host that sends push webhooks, and how it proves a delivery is genuine.
public enum WebhookProvider: String, Sendable, CaseIterable {
    /// GitHub: `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the body>`, `X-GitHub-Event`,
    /// `X-GitHub-Delivery` (GitHub docs, "Validating webhook deliveries").
    case github
    /// Gitea and Forgejo: `X-Gitea-Signature` / `X-Forgejo-Signature: <hex HMAC-SHA256>`,
    /// `X-Gitea-Event`, `X-Gitea-Delivery` (Gitea docs, "Webhooks").
    case gitea
    /// GitLab: `X-Gitlab-Token: <the secret>` (no signature), `X-Gitlab-Event: Push Hook`,
    /// `Idempotency-Key` or `X-Gitlab-Event-UUID` (GitLab docs, "Webhooks").
    case gitlab
}
