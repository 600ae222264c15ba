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

/// Answer of setting or unsetting a parameter.
public struct ParameterChangeResponse: Codable, Sendable {
    /// The deployment.
    public var deployment: String
    /// The parameter name.
    public var key: String
    /// `set` or `unset`.
    public var action: String
    /// Whether the stored value differs from before (setting the same value again is `false`).
    public var changed: Bool
    /// What to do to apply it: parameters reach containers only through `deploy up`.
    public var hint: String
}

/// `GET /api/deployments/NAME/params`: the names only (values are secrets; ask one by name).
public struct ParameterListResponse: Codable, Sendable {
    /// The deployment.
    public var deployment: String
    /// Sorted names.
    public var keys: [String]
}

/// `GET /api/deployments/NAME/params/KEY`.
public struct ParameterValueResponse: Codable, Sendable {
    /// The deployment.
    public var deployment: String
    /// The parameter name.
    public var key: String
    /// Its value.
    public var value: String
}
