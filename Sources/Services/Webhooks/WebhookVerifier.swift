import Crypto
import Foundation
import Store

/// Verifies webhook deliveries against a deployment's secret (pure; unit-tested).
public enum WebhookVerifier {
    /// Checks the signature (or token) of `body` with `secret` and reads the push fields.
    /// Header names are matched case-insensitively (`headers` keys may be any case).
    ///
    /// - Throws: ``WebhookError``.
    public static func verify(_ provider: WebhookProvider, headers: [String: String], body: Data, secret: String) throws -> WebhookDelivery
    {
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
