import Store
import Supervision

/// Every error: `{"error": "..."}` with a fitting HTTP status.
public struct ErrorResponse: Codable, Sendable {
    /// What went wrong, naming the bad value and what is allowed.
    public var error: String
    /// For an unknown node path: the paths that exist.
    public var validPaths: [String]? = nil
}
