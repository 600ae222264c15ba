import Foundation
import Store

/// A request for a run of a deployment's deploy pipeline.
public struct RunRequest: Sendable, Equatable {
    /// What asks: `poll`, `webhook:github`, `webhook:gitea`, `webhook:gitlab`, `cli`, `api`,
    /// `reconcile`, `interrupted` (``interruptedTrigger``).
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

    /// The trigger of the run a starting daemon asks for when the previous one died during a
    /// run of the deployment (its row closed as `interrupted`): like `reconcile`, it brings
    /// the containers up even on the running commit, since the cut may have left them half
    /// replaced (a `compose up` or a rollback stopped midway).
    public static let interruptedTrigger = "interrupted"

    /// Whether a run recorded with `triggers` (``PipelineQueue/Job/triggerSummary``, e.g.
    /// `cli, poll ×2`) served an operator's `deploy up` (`cli` or `api`).
    public static func wasExplicit(_ triggers: String) -> Bool {
        triggers.split(separator: ",").contains { part in
            let trigger = part.trimmingCharacters(in: .whitespaces).split(separator: " ").first.map(String.init) ?? ""
            return trigger == "cli" || trigger == "api"
        }
    }
}
