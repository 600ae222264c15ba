import Docker
import Store
import Supervision

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
    /// The state of the deployment's supervision subtree (`deployments/NAME`) when it is not
    /// running — `backoff` after it gave up (nothing polls, reconciles or deploys until it
    /// is started again), `stopped`, `failed` — else `nil`.
    public var subtree: String?
    /// Why, for ``subtree`` (e.g. the restart intensity it exceeded and the last exit).
    public var subtreeReason: String?
    /// Seconds until the subtree is started again, for ``subtree`` `backoff`.
    public var subtreeNextStartSeconds: Double?
    /// The poller's status line, e.g. `up to date at 1a2b3c4d5e6f` or, while the remote
    /// cannot be reached, `next try in 20 s (failure 3 in a row; waits double up to 300 s)`.
    public var poller: String?
    /// The deployment's children that report `degraded` while the subtree runs, with their
    /// reasons (an external cause or a workload that misbehaves: e.g. `deployments/NAME/reconciler`:
    /// containers keep exiting by themselves; `deployments/NAME/poller`: the remote does not
    /// answer; the Docker engine down; the state disk full). `nil` (left out of the JSON, as
    /// every optional field without a value) when all is well.
    public var degraded: [PathReason]?

    /// Combines the stored record, its status and the live health; `subtree` is the
    /// deployment's node of the supervision tree (`deployments/NAME`), which fills
    /// ``subtree`` and its reason while that node is not running.
    public init(
        record: DeploymentRecord, status: DeploymentStatusRecord, health: DeploymentHealth,
        lastRun: RunRecord? = nil, pipeline: String? = nil, subtree: NodeStatus? = nil
    ) {
        if let subtree, ![.running, .degraded, .starting].contains(subtree.state) {
            self.subtree = subtree.state.rawValue
            // Stopped by an operator: why it ended before is history (`supervisor status` keeps it as LAST EXIT).
            subtreeReason = subtree.reason ?? (subtree.state == .stopped ? nil : subtree.lastExit)
            subtreeNextStartSeconds = subtree.nextRestartInSeconds
        } else if let subtree {
            let nodes = subtree.flattened.filter { $0.state == .degraded && $0.path != subtree.path }.map {
                PathReason(path: $0.path, state: $0.state.rawValue, reason: $0.reason)
            }
            degraded = nodes.isEmpty ? nil : nodes
        }
        if let subtree, [.running, .degraded].contains(subtree.state) {
            poller = subtree.children.first { $0.id == "poller" }?.status
        }
        paused = !record.enabled
        failedCommit = status.failedCommit
        self.lastRun = lastRun
        self.pipeline = pipeline
        name = record.name
        url = GitURL.redacted(record.url)  // never the credentials of an https URL
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
