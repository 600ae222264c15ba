/// `GET /api/deployments/NAME/params/KEY`.
public struct ParameterValueResponse: Codable, Sendable {
    /// The deployment.
    public var deployment: String
    /// The parameter name.
    public var key: String
    /// Its value.
    public var value: String
}
