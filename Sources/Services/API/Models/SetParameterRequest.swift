/// Bodies and answers of the parameter endpoints (docs/API.md). Parameters are a deployment's
/// secrets and settings, stored encrypted, given to Compose as environment variables for
/// interpolation.

/// `PUT /api/deployments/NAME/params/KEY` body.
public struct SetParameterRequest: Codable, Sendable {
    /// The value (UTF-8, at most 64 KiB, no NUL).
    public var value: String

    /// A body setting `value`.
    public init(value: String) { self.value = value }
}
