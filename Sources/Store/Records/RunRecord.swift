/// One run of a deployment's deploy pipeline, as kept in the history (`runs` table).
/// Times are Unix seconds.
public struct RunRecord: Sendable, Equatable, Codable {
    /// Increasing id (insertion order).
    public var id: Int64
    /// The deployment.
    public var deployment: String
    /// What asked for the run, comma-separated when several triggers were coalesced into it
    /// (`poll`, `webhook:github`, `cli`, `api`, `reconcile`, …).
    public var triggers: String
    /// The commit the run tried to deploy (`nil` until known, e.g. the fetch failed).
    public var targetCommit: String?
    /// The commit that was running before (the rollback target).
    public var previousCommit: String?
    /// When the run began.
    public var startedAt: Double
    /// When it ended; `nil` while it runs (or if the daemon died during it).
    public var endedAt: Double?
    /// `succeeded`, `rolled_back`, `failed`, `refused`, `skipped`, `unchanged`; `nil` while running.
    public var outcome: String?
    /// Why, for anything but a plain success (build output tail, unhealthy services, …).
    public var reason: String?

    /// A record with the given fields (see the properties).
    public init(
        id: Int64, deployment: String, triggers: String, targetCommit: String?, previousCommit: String?,
        startedAt: Double, endedAt: Double?, outcome: String?, reason: String?
    ) {
        self.id = id
        self.deployment = deployment
        self.triggers = triggers
        self.targetCommit = targetCommit
        self.previousCommit = previousCommit
        self.startedAt = startedAt
        self.endedAt = endedAt
        self.outcome = outcome
        self.reason = reason
    }
}
