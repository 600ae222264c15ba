import Foundation
import Yams

/// Stevedore's own settings in a Compose file, under the top-level extension key
/// `x-stevedore` (Compose ignores `x-` keys: compose-spec "Extension"):
///
/// ```yaml
/// x-stevedore:
///   health_check_timeout: 60   # seconds, or a duration like 90s / 2m
/// ```
public struct StevedoreSettings: Sendable, Equatable {
    /// Default time for every service to become running and healthy after `compose up`: 120 s.
    public static let defaultHealthCheckTimeout: Duration = .seconds(120)
    /// Allowed range of `health_check_timeout`, in seconds.
    public static let healthCheckTimeoutRange = 1...3600

    /// How long the rollout waits for the services to be running and healthy.
    public var healthCheckTimeout: Duration = defaultHealthCheckTimeout

    /// The defaults.
    public init() {}

    /// Reads `x-stevedore` from the Compose file at `path` (the file as committed: its values
    /// are not interpolated). A file without the key gives the defaults.
    ///
    /// - Throws: ``ComposeConfigError/unreadable(_:)`` when the file is not YAML,
    ///   ``ComposeConfigError/invalidSetting(key:value:allowed:)`` for a bad value or an unknown key.
    public static func read(composeFile path: String) throws -> StevedoreSettings {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ComposeConfigError.unreadable("cannot read \(path): \(error.localizedDescription)")
        }
        let document: Any?
        do {
            document = try Yams.load(yaml: text)
        } catch {
            throw ComposeConfigError.unreadable("\(path) is not YAML: \(error)")
        }
        return try parse((document as? [String: Any])?["x-stevedore"])
    }

    /// Parses the value of the `x-stevedore` key (`nil`: defaults).
    ///
    /// - Throws: ``ComposeConfigError/invalidSetting(key:value:allowed:)``.
    public static func parse(_ value: Any?) throws -> StevedoreSettings {
        var settings = StevedoreSettings()
        guard let value else { return settings }
        guard let map = value as? [String: Any] else {
            throw ComposeConfigError.invalidSetting(key: "", value: "\(value)", allowed: "a map such as {health_check_timeout: 60}")
        }
        for (key, raw) in map {
            switch key {
            case "health_check_timeout":
                guard let seconds = seconds(raw), healthCheckTimeoutRange.contains(seconds) else {
                    throw ComposeConfigError.invalidSetting(
                        key: key, value: "\(raw)",
                        allowed:
                            "seconds from \(healthCheckTimeoutRange.lowerBound) to \(healthCheckTimeoutRange.upperBound), as a number or like 90s, 2m"
                    )
                }
                settings.healthCheckTimeout = .seconds(seconds)
            default:
                throw ComposeConfigError.invalidSetting(key: key, value: "\(raw)", allowed: "known keys: health_check_timeout")
            }
        }
        return settings
    }

    private static func seconds(_ raw: Any) -> Int? {
        if let int = raw as? Int { return int }
        guard let text = raw as? String, let last = text.last else { return nil }
        let multiplier: Int
        switch last {
        case "s": multiplier = 1
        case "m": multiplier = 60
        case "h": multiplier = 3600
        default: return Int(text)
        }
        return Int(text.dropLast()).map { $0 * multiplier }
    }
}
