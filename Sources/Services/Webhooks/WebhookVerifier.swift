import Crypto
import Foundation
import Store

/// One-shot verification of a delivery whose body is at hand, and the secrets (pure).
public enum WebhookVerifier {
    /// Checks the signature (or token) of `body` with `secret` and reads the push fields:
    /// ``WebhookVerification`` fed the body in one piece. Header names are matched
    /// case-insensitively (`headers` keys may be any case).
    ///
    /// - Throws: ``WebhookError``.
    public static func verify(_ provider: WebhookProvider, headers: [String: String], body: Data, secret: String) throws -> WebhookDelivery
    {
        var verification = try WebhookVerification(provider, headers: headers, secret: secret)
        try verification.append(body)
        return try verification.finish()
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
