/// One entry of the event history (supervisor and deployment events).
public struct EventRecord: Sendable, Equatable, Codable {
    /// Increasing id (insertion order).
    public var id: Int64
    /// Unix seconds.
    public var at: Double
    /// The deployment concerned, or `nil` for daemon-wide events.
    public var deployment: String?
    /// Short machine-readable kind, e.g. `deploy`, `sync`, `reconcile`, `error`.
    public var kind: String
    /// Human-readable text.
    public var message: String
}
