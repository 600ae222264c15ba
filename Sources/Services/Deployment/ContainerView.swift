import Docker

/// One container of a deployment, as shown by `status`.
public struct ContainerView: Codable, Sendable, Equatable {
    /// Container name without the leading `/`.
    public var name: String
    /// Compose service.
    public var service: String?
    /// Docker state: `running`, `exited`, …
    public var state: String
    /// Healthcheck status (`starting`, `healthy`, `unhealthy`), if the service has one.
    public var health: String?
    /// A one-shot container that exited 0 and is not to be restarted (a migration, an init job).
    public var completed: Bool = false
}
