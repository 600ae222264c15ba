import Store

/// A request for a run of a deployment's deploy pipeline.
public struct RunRequest: Sendable, Equatable {
    /// What asks: `poll`, `webhook:github`, `webhook:gitea`, `webhook:gitlab`, `cli`, `api`, `reconcile`.
    public var trigger: String
    /// Deploy even the commit that failed last time (`deploy up --force`).
    public var force: Bool
    /// An operator's `deploy up`: resumes a paused deployment and always runs `compose up`
    /// (a poll or webhook on an unchanged commit does nothing).
    public var explicit: Bool

    /// A request (see the properties).
    public init(trigger: String, force: Bool = false, explicit: Bool = false) {
        self.trigger = trigger
        self.force = force
        self.explicit = explicit
    }
}
