import Store
import Supervision

/// A node path with the reason it is listed.
public struct PathReason: Codable, Sendable, Equatable {
    /// Node path (`root` for the root).
    public var path: String
    /// The node's state.
    public var state: String
    /// Why, when known.
    public var reason: String?
}
