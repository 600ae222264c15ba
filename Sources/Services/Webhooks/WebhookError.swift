import Foundation

/// Why a webhook delivery was refused; nothing is triggered. Answered (``AdminAPI``'s webhook
/// route): 401 for the signature and token cases, 413 ``tooLarge``, 503 ``busy`` (with
/// `Retry-After`), 408 ``bodyTimeout``, 400 ``incompleteBody``, ``formEncoded`` and
/// ``malformedPayload``.
public enum WebhookError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The signature or token header (named) is absent.
    case missingSignature(header: String)
    /// The signature header (named) is not in the provider's format (`expected`).
    case malformedSignature(header: String, expected: String)
    /// The HMAC-SHA256 signature (GitHub, Gitea, Forgejo) does not match the deployment's secret.
    case badSignature
    /// GitLab's `X-Gitlab-Token` is not the deployment's secret.
    case badToken
    /// The body is larger than ``WebhookLimits/maxBodyBytes``.
    case tooLarge
    /// ``WebhookLimits/maxConcurrentDeliveries`` bodies are being read already.
    case busy
    /// The body did not arrive within ``WebhookLimits/bodyTimeoutSeconds``.
    case bodyTimeout
    /// The connection ended before the whole body arrived.
    case incompleteBody
    /// A genuine delivery whose body is form-encoded (`application/x-www-form-urlencoded`,
    /// `payload=<JSON>`: GitHub's and Gitea's other content type), for `event`.
    case formEncoded(event: String)
    /// The body of a genuine push is not the JSON the provider sends.
    case malformedPayload(String)

    public var description: String {
        switch self {
        case .missingSignature(let header):
            return "missing \(header) header: configure the webhook with the secret from `stevedore repo webhook NAME`"
        case .malformedSignature(let header, let expected):
            return "malformed \(header) header: expected \(expected)"
        case .badSignature: return "signature does not match this deployment's webhook secret (see `stevedore repo webhook NAME`)"
        case .badToken:
            return
                "X-Gitlab-Token does not match this deployment's webhook secret: set the hook's secret token to the secret from `stevedore repo webhook NAME`"
        case .tooLarge: return "request body too large: webhook deliveries are limited to \(WebhookLimits.maxBodyDescription)"
        case .busy:
            return
                "too many webhook deliveries at once (\(WebhookLimits.maxConcurrentDeliveries) are read at a time): retry in \(WebhookLimits.retryAfterSeconds) s"
        case .bodyTimeout: return "the request body did not arrive within \(WebhookLimits.bodyTimeoutSeconds) s"
        case .incompleteBody: return "the connection ended before the whole request body arrived"
        case .formEncoded(let event):
            let advice =
                "sends its payload form-encoded (application/x-www-form-urlencoded), which Stevedore does not read: set the webhook's content type to application/json (GitHub: \"Content type\"; Gitea, Forgejo: \"POST Content Type\")"
            return event == "ping"
                ? "ping received and verified, but pushes would be refused: this webhook \(advice)"
                : "this webhook \(advice)"
        case .malformedPayload(let why): return "malformed webhook payload: \(why)"
        }
    }
}
