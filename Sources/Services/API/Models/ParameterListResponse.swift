/// `GET /api/deployments/NAME/params`: the names only (values are secrets; ask one by name).
public struct ParameterListResponse: Codable, Sendable {
    /// The deployment.
    public var deployment: String
    /// Sorted names.
    public var keys: [String]
}
