/// Bodies and answers of the parameter endpoints (docs/API.md). Parameters are a deployment's
/// secrets and settings, stored encrypted, given to Compose as environment variables for
/// interpolation.

/// `PUT /api/deployments/NAME/params/KEY` body.
public struct SetParameterRequest: Codable, Sendable {
    /// The value (UTF-8, at most 64 KiB, no NUL).
    public var value: String
    /// The value may appear in logs: the log streamer does not redact it (default `false`:
    /// every parameter is a secret).
    public var `public`: Bool?

    /// A body setting `value`.
    public init(value: String, public isPublic: Bool? = nil) {
        self.value = value
        self.public = isPublic
    }
}
