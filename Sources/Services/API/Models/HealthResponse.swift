import Store
import Supervision

/// `GET /healthz`: 200 with `status` `ok` or `degraded`, 503 with `unhealthy`.
public struct HealthResponse: Codable, Sendable {
    /// `ok`, `degraded` or `unhealthy`.
    public var status: String
    /// Stevedore's version.
    public var version: String
    /// Failed or stuck nodes (the cause of a 503).
    public var unhealthy: [PathReason]
    /// Degraded nodes and nodes in restart backoff.
    public var degraded: [PathReason]

    /// The tree's health (``TreeHealth/assess(_:staleHeartbeatSeconds:)``) as an answer.
    public static func from(tree: NodeStatus, version: String, staleHeartbeatSeconds: Double? = nil) -> HealthResponse {
        let health = TreeHealth.assess(tree, staleHeartbeatSeconds: staleHeartbeatSeconds)
        return HealthResponse(
            status: health.level.rawValue, version: version,
            unhealthy: health.unhealthy, degraded: health.degraded)
    }
}
