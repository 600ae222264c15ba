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
    /// The engine keeps an unbounded copy of its output: logging driver `json-file` (Docker's
    /// default) without `max-size` (``ContainerDetails/hasUnboundedLogs``).
    public var unboundedLogs: Bool = false

    /// The one-line Compose fix for ``unboundedLogs``, to put under the service.
    public static let logLimitFix = #"logging: {driver: json-file, options: {max-size: "10m", max-file: "3"}}"#

    /// Warnings for the services whose containers keep unbounded logs (one per service), with the fix.
    public static func logWarnings(_ views: [ContainerView]) -> [String] {
        let services = Set(views.filter(\.unboundedLogs).map { $0.service ?? $0.name }).sorted()
        return services.map {
            "Docker keeps an unbounded copy of \($0)'s output (json-file without max-size) that grows until the disk is full; add under the service in the Compose file:  \(logLimitFix)"
        }
    }
}
