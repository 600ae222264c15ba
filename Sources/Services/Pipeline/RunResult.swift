import Store

/// What a run did (also the answer of `POST /api/deployments/NAME/up`).
public struct RunResult: Codable, Sendable, Equatable {
    /// The deployment.
    public var deployment: String
    /// The history row, when the run was recorded.
    public var runId: Int64?
    /// `succeeded`, `rolled_back`, `failed`, `refused`, `skipped`, `unchanged`.
    public var outcome: String
    /// The commit the run tried to deploy.
    public var commit: String?
    /// The commit running now (after a rollback: the previous one).
    public var runningCommit: String?
    /// Why, for anything but a plain success.
    public var reason: String?
    /// All triggers coalesced into the run, e.g. `webhook:github ×10`.
    public var triggers: String

    /// `succeeded` and `unchanged`: what the operator asked for is running.
    public var isSuccess: Bool { outcome == RunOutcome.succeeded || outcome == RunOutcome.unchanged }

    /// A result (see the properties).
    public init(
        deployment: String, runId: Int64?, outcome: String, commit: String?, runningCommit: String?, reason: String?, triggers: String
    ) {
        self.deployment = deployment
        self.runId = runId
        self.outcome = outcome
        self.commit = commit
        self.runningCommit = runningCommit
        self.reason = reason
        self.triggers = triggers
    }
}
