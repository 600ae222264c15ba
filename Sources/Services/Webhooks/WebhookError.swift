import Crypto
import Foundation
import Store

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
        case .missingSignature(let header):
            return "missing \(header) header: configure the webhook with the secret from `stevedore repo webhook NAME`"
        case .badSignature: return "signature does not match this deployment's webhook secret (see `stevedore repo webhook NAME`)"
        case .malformedPayload(let why): return "malformed webhook payload: \(why)"
        }
    }
}
