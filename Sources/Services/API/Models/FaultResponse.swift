import Supervision

/// Answer to an accepted fault injection (202).
public struct FaultResponse: Codable, Sendable {
    /// The worker.
    public var path: String
    /// The fault delivered.
    public var fault: String
    /// Who asked.
    public var by: String
    /// When, in seconds since 1970 (UTC).
    public var at: Double
}
