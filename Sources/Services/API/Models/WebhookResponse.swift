/// The answer to a webhook delivery.
public struct WebhookResponse: Codable, Sendable {
    /// `triggered`, `ignored` or `duplicate`.
    public var status: String
    /// The deployment.
    public var deployment: String
    /// Why it was ignored, or what was triggered.
    public var message: String
    /// The pushed head commit, when the payload has it.
    public var commit: String?
}
