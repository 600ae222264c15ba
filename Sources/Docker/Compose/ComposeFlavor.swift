import Foundation

/// Which Compose implementation runs, and its version.
public struct ComposeFlavor: Sendable, Equatable, CustomStringConvertible {
    /// The command prefix: `["docker", "compose"]` or `["docker-compose"]`.
    public var command: [String]
    /// As printed by `version --short`, e.g. `2.26.1` or `1.29.2`.
    public var version: String

    /// Major version parsed from ``version`` (`v2.1` → 2); 0 if unparsable.
    public var majorVersion: Int {
        let digits = version.drop { !$0.isNumber }.prefix { $0.isNumber }
        return Int(digits) ?? 0
    }

    public var description: String { "\(command.joined(separator: " ")) \(version)" }

    /// A flavor with a known command and version (detection: ``ComposeRunner/detect(preferV1:)``).
    public init(command: [String], version: String) {
        self.command = command
        self.version = version
    }
}
