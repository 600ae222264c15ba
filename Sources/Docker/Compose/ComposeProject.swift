import Foundation

/// One deployment as Compose sees it.
public struct ComposeProject: Sendable {
    /// Compose project name: `stevedore-<deployment>`.
    public var name: String
    /// The checkout directory (Compose's project directory).
    public var directory: String
    /// The Compose file inside ``directory``.
    public var file: String
    /// Environment for interpolation: `STEVEDORE_*` plus the deployment's parameters.
    public var environment: [String: String]

    /// - Parameters: see the properties; `environment` is merged over the daemon's (scrubbed) one.
    public init(name: String, directory: String, file: String, environment: [String: String]) {
        self.name = name
        self.directory = directory
        self.file = file
        self.environment = environment
    }
}
