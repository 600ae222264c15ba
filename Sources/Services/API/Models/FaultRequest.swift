import Supervision

/// `POST /api/supervisor/fault` body (only with fault injection enabled).
public struct FaultRequest: Codable, Sendable {
    /// Path of a running worker.
    public var path: String
    /// `throw`, `hang`, `trap` or `ignore-cancellation` (``InjectedFault``).
    public var fault: String
    /// Who asks; default `api`.
    public var actor: String?

    /// A request.
    public init(path: String, fault: String, actor: String? = nil) {
        self.path = path
        self.fault = fault
        self.actor = actor
    }
}
