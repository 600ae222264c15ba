import Store
import Supervision

/// JSON bodies of the admin API (docs/API.md). Encoded with snake_case keys by
/// ``APICoding``; the CLI decodes them with the same coders.

/// One deployment with its status and container health (`GET /api/status[/NAME]`).
public struct DeploymentView: Codable, Sendable {
    /// Deployment name.
    public var name: String
    /// Git remote URL.
    public var url: String
    /// Branch followed.
    public var branch: String
    /// `false` while paused by `deploy down`.
    public var enabled: Bool
    /// Seconds between remote checks.
    public var pollIntervalSeconds: Int
    /// Head of the remote branch at the last check.
    public var remoteCommit: String?
    /// Commit in the checkout.
    public var syncedCommit: String?
    /// Commit last brought up with Compose.
    public var deployedCommit: String?
    /// Unix seconds.
    public var lastCheckedAt: Double?
    /// Unix seconds of the last sync.
    public var syncedAt: Double?
    /// Unix seconds of the last deploy.
    public var deployedAt: Double?
    /// Last check/sync/deploy error, cleared by the next success.
    public var lastError: String?
    /// Containers and their health, read from the engine on each request.
    public var health: DeploymentHealth
    /// `true` after `deploy down` until `deploy up` (the opposite of ``enabled``).
    public var paused: Bool
    /// The commit that failed or was rolled back and is not retried until a newer one
    /// arrives or `deploy up --force`.
    public var failedCommit: String?
    /// The newest pipeline run (outcome `nil` while it runs).
    public var lastRun: RunRecord?
    /// The pipeline now: `idle`, `running`, `queued` or `running, 1 queued`.
    public var pipeline: String?

    /// Combines the stored record, its status and the live health.
    public init(record: DeploymentRecord, status: DeploymentStatusRecord, health: DeploymentHealth,
                lastRun: RunRecord? = nil, pipeline: String? = nil) {
        paused = !record.enabled
        failedCommit = status.failedCommit
        self.lastRun = lastRun
        self.pipeline = pipeline
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
    /// Deployment name, `^[a-z0-9][a-z0-9_-]{0,62}$`.
    public var name: String
    /// Git remote URL.
    public var url: String
    /// Default `main`.
    public var branch: String?
    /// Like `30s`, `5m`; default the daemon's `STEVEDORE_POLL_INTERVAL`.
    public var pollInterval: String?
    /// `true`: updates keep untracked files (no `git clean -fd`). Default `false`.
    public var noClean: Bool?

    /// A request; `nil` fields take the daemon's defaults.
    public init(name: String, url: String, branch: String? = nil, pollInterval: String? = nil) {
        self.name = name
        self.url = url
        self.branch = branch
        self.pollInterval = pollInterval
    }

    enum CodingKeys: String, CodingKey { case name, url, branch, pollInterval }

    /// Accepts `poll_interval` as a duration string (`"5m"`) or a number of seconds (`300`).
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decode(String.self, forKey: .name)
        url = try c.decode(String.self, forKey: .url)
        branch = try c.decodeIfPresent(String.self, forKey: .branch)
        if let seconds = try? c.decodeIfPresent(Int.self, forKey: .pollInterval) {
            pollInterval = String(seconds)
        } else {
            pollInterval = try c.decodeIfPresent(String.self, forKey: .pollInterval)
        }
    }
}

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

/// Every error: `{"error": "..."}` with a fitting HTTP status.
public struct ErrorResponse: Codable, Sendable {
    /// What went wrong, naming the bad value and what is allowed.
    public var error: String
    /// For an unknown node path: the paths that exist.
    public var validPaths: [String]? = nil
}

/// A node path with the reason it is listed.
public struct PathReason: Codable, Sendable, Equatable {
    /// Node path (`root` for the root).
    public var path: String
    /// The node's state.
    public var state: String
    /// Why, when known.
    public var reason: String?
}

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
        return HealthResponse(status: health.level.rawValue, version: version,
                              unhealthy: health.unhealthy, degraded: health.degraded)
    }
}
