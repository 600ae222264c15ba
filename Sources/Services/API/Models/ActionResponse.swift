import Store
import Supervision

/// Result of `POST /api/deployments/NAME/{sync,up,down}`.
public struct ActionResponse: Codable, Sendable {
    /// The deployment acted on.
    public var deployment: String
    /// `sync`, `up` or `down`.
    public var action: String
    /// The commit synced or deployed.
    public var commit: String?
    /// One line for humans.
    public var message: String
}
