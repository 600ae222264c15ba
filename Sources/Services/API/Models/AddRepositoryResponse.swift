import Store

/// `POST /api/repos`: the registered deployment and its deploy key.
public struct AddRepositoryResponse: Codable, Sendable {
    /// The registered deployment.
    public var deployment: DeploymentRecordView
    /// Its deploy key.
    public var deployKey: DeployKeyResponse
}

/// A deployment's settings as the API shows them.
public typealias DeploymentRecordView = DeploymentRecord
