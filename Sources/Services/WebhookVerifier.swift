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

/// What a delivery says, once verified.
public struct WebhookDelivery: Sendable, Equatable {
    /// `push` for a push; anything else is acknowledged and ignored (`ping`, `issues`, …).
    public var event: String
    /// The delivery id the provider sends (replays carry the same one), if any.
    public var deliveryId: String?
    /// `ref` of a push payload, e.g. `refs/heads/main`.
    public var ref: String?
    /// `after` of a push payload: the new head commit.
    public var after: String?

    /// A delivery with the given fields.
    public init(event: String, deliveryId: String?, ref: String? = nil, after: String? = nil) {
        self.event = event
        self.deliveryId = deliveryId
        self.ref = ref
        self.after = after
    }
}

/// Errors of webhook verification; each is answered 401 or 400 and triggers nothing.
public enum WebhookError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The signature or token header is absent.
    case missingSignature(header: String)
    /// The signature or token does not match the deployment's secret.
    case badSignature
    /// The body of a push is not the JSON the provider sends.
    case malformedPayload(String)

    public var description: String {
        switch self {
        case .missingSignature(let header): return "missing \(header) header: configure the webhook with the secret from `stevedore repo webhook NAME`"
        case .badSignature: return "signature does not match this deployment's webhook secret (see `stevedore repo webhook NAME`)"
        case .malformedPayload(let why): return "malformed webhook payload: \(why)"
        }
    }
}

/// Verifies webhook deliveries against a deployment's secret (pure; unit-tested).
public enum WebhookVerifier {
    /// Checks the signature (or token) of `body` with `secret` and reads the push fields.
    /// Header names are matched case-insensitively (`headers` keys may be any case).
    ///
    /// - Throws: ``WebhookError``.
    public static func verify(_ provider: WebhookProvider, headers: [String: String], body: Data, secret: String) throws -> WebhookDelivery {
        let h = Dictionary(headers.map { ($0.key.lowercased(), $0.value) }, uniquingKeysWith: { first, _ in first })
        let event: String
        let delivery: String?
        switch provider {
        case .github:
            guard let header = h["x-hub-signature-256"] else { throw WebhookError.missingSignature(header: "X-Hub-Signature-256") }
            guard header.hasPrefix("sha256="), hmacMatches(hex: String(header.dropFirst(7)), body: body, secret: secret) else {
                throw WebhookError.badSignature
            }
            event = h["x-github-event"] ?? ""
            delivery = h["x-github-delivery"]
        case .gitea:
            guard let header = h["x-gitea-signature"] ?? h["x-forgejo-signature"] else {
                throw WebhookError.missingSignature(header: "X-Gitea-Signature (or X-Forgejo-Signature)")
            }
            guard hmacMatches(hex: header, body: body, secret: secret) else { throw WebhookError.badSignature }
            event = h["x-gitea-event"] ?? h["x-forgejo-event"] ?? ""
            delivery = h["x-gitea-delivery"] ?? h["x-forgejo-delivery"]
        case .gitlab:
            guard let token = h["x-gitlab-token"] else { throw WebhookError.missingSignature(header: "X-Gitlab-Token") }
            guard AdminKey.matches(token, secret) else { throw WebhookError.badSignature }
            let kind = h["x-gitlab-event"] ?? ""
            event = kind == "Push Hook" ? "push" : kind
            delivery = h["idempotency-key"] ?? h["x-gitlab-event-uuid"] ?? h["x-gitlab-webhook-uuid"]
        }
        var result = WebhookDelivery(event: event, deliveryId: delivery.flatMap { $0.isEmpty ? nil : $0 })
        guard event == "push" else { return result }
        guard let object = try? JSONSerialization.jsonObject(with: body) as? [String: Any] else {
            throw WebhookError.malformedPayload("the body is not a JSON object")
        }
        guard let ref = object["ref"] as? String else { throw WebhookError.malformedPayload("no `ref` in the push payload") }
        result.ref = ref
        result.after = object["after"] as? String
        return result
    }

    /// Constant-time check of a hex HMAC-SHA256 of `body` under `secret`.
    static func hmacMatches(hex: String, body: Data, secret: String) -> Bool {
        guard let mac = Hex.decode(hex, count: SHA256.byteCount) else { return false }
        return HMAC<SHA256>.isValidAuthenticationCode(mac, authenticating: body, using: SymmetricKey(data: Data(secret.utf8)))
    }

    /// The hex HMAC-SHA256 of `body` under `secret` (what a provider sends; tests sign with it).
    public static func signature(body: Data, secret: String) -> String {
        Hex.encode(HMAC<SHA256>.authenticationCode(for: body, using: SymmetricKey(data: Data(secret.utf8))))
    }

    /// A new secret: 32 random bytes (the system's CSPRNG), hex.
    public static func newSecret() -> String {
        var generator = SystemRandomNumberGenerator()
        return Hex.encode((0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) })
    }
}
