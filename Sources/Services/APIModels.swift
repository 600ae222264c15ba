import Store
import Supervision

/// JSON bodies of the admin API (docs/API.md). Encoded with snake_case keys by
/// ``APICoding``; the CLI decodes them with the same coders.

/// One deployment with its status and container health (`GET /api/status[/NAME]`).
public struct DeploymentView: Codable, Sendable {
    public var name: String
    public var url: String
    public var branch: String
    /// `false` while paused by `deploy down`.
    public var enabled: Bool
    public var pollIntervalSeconds: Int
    public var remoteCommit: String?
    public var syncedCommit: String?
    public var deployedCommit: String?
    /// Unix seconds.
    public var lastCheckedAt: Double?
    public var syncedAt: Double?
    public var deployedAt: Double?
    public var lastError: String?
    public var health: DeploymentHealth

    public init(record: DeploymentRecord, status: DeploymentStatusRecord, health: DeploymentHealth) {
        name = record.name
        url = record.url
        branch = record.branch
        enabled = record.enabled
        pollIntervalSeconds = record.pollIntervalSeconds
        remoteCommit = status.remoteCommit
        syncedCommit = status.syncedCommit
        deployedCommit = status.deployedCommit
        lastCheckedAt = status.lastCheckedAt
        syncedAt = status.syncedAt
        deployedAt = status.deployedAt
        lastError = status.lastError
        self.health = health
    }
}

/// `POST /api/repos`.
public struct AddRepositoryRequest: Codable, Sendable {
    public var name: String
    public var url: String
    /// Default `main`.
    public var branch: String?
    /// Like `30s`, `5m`; default the daemon's `STEVEDORE_POLL_INTERVAL`.
    public var pollInterval: String?

    public init(name: String, url: String, branch: String? = nil, pollInterval: String? = nil) {
        self.name = name
        self.url = url
        self.branch = branch
        self.pollInterval = pollInterval
    }
}

/// Result of `POST /api/deployments/NAME/{sync,up,down}`.
public struct ActionResponse: Codable, Sendable {
    public var deployment: String
    public var action: String
    /// The commit synced or deployed.
    public var commit: String?
    public var message: String
}

/// Every error: `{"error": "..."}` with a fitting HTTP status.
public struct ErrorResponse: Codable, Sendable {
    public var error: String
}

/// A node path with the reason it is listed.
public struct PathReason: Codable, Sendable, Equatable {
    public var path: String
    public var state: String
    public var reason: String?
}

/// `GET /healthz`: 200 with `status` `ok` or `degraded`, 503 with `unhealthy`.
public struct HealthResponse: Codable, Sendable {
    public var status: String
    public var version: String
    public var unhealthy: [PathReason]
    public var degraded: [PathReason]

    /// Rolls the tree up: failed or stuck nodes, or a root that is not running, make it
    /// unhealthy; degraded nodes are listed but keep it 200 (a restart would not fix them).
    public static func from(tree: NodeStatus, version: String) -> HealthResponse {
        let nodes = tree.flattened
        var unhealthy = nodes.filter { $0.state == .failed || $0.state == .stuck }
            .map { PathReason(path: $0.path.isEmpty ? "root" : $0.path, state: $0.state.rawValue, reason: $0.reason ?? $0.lastExit) }
        if tree.state != .running {
            unhealthy.insert(PathReason(path: "root", state: tree.state.rawValue, reason: tree.reason), at: 0)
        }
        let degraded = nodes.filter { $0.state == .degraded || $0.state == .backoff }
            .map { PathReason(path: $0.path, state: $0.state.rawValue, reason: $0.reason ?? $0.lastExit) }
        let status = !unhealthy.isEmpty ? "unhealthy" : (degraded.isEmpty ? "ok" : "degraded")
        return HealthResponse(status: status, version: version, unhealthy: unhealthy, degraded: degraded)
    }
}
