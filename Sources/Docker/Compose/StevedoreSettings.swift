import Foundation
import Yams

/// Stevedore's own settings in a Compose file, under the top-level extension key
/// `x-stevedore` (Compose ignores `x-` keys: compose-spec "Extension"):
///
/// ```yaml
/// x-stevedore:
///   health_check_timeout: 60   # seconds, or a duration like 90s / 2m
///   logs:
///     max_size: 64m            # all of the deployment's log files together
///     file_size: 8m            # a service's file is rotated at this size
/// ```
public struct StevedoreSettings: Sendable, Equatable {
    /// Default time for every service to become running and healthy after `compose up`: 120 s.
    public static let defaultHealthCheckTimeout: Duration = .seconds(120)
    /// Allowed range of `health_check_timeout`, in seconds.
    public static let healthCheckTimeoutRange = 1...3600

    /// How long the rollout waits for the services to be running and healthy.
    public var healthCheckTimeout: Duration = defaultHealthCheckTimeout

    /// Cap of the deployment's log files in bytes (`logs.max_size`); `nil`: the daemon's default.
    public var logMaxSize: Int?
    /// Rotation size of a service's log file in bytes (`logs.file_size`); `nil`: the default.
    public var logFileSize: Int?
    /// Allowed range of the log sizes: 64 KiB to 64 GiB.
    public static let logSizeRange = (64 * 1024)...(64 * 1024 * 1024 * 1024)

    /// The defaults.
    public init() {}

    /// Reads `x-stevedore` from the Compose file at `path` (the file as committed: its values
    /// are not interpolated). A file without the key gives the defaults.
    ///
    /// - Throws: ``ComposeConfigError/unreadable(_:)`` when the file is not YAML or is beyond
    ///   ``YAMLLimits``, ``ComposeConfigError/invalidSetting(key:value:allowed:)`` for a bad
    ///   value or an unknown key.
    public static func read(composeFile path: String) throws -> StevedoreSettings {
        try parse(composeFileText: try YAMLLimits.readFile(path), path: path)
    }

    /// Reads `x-stevedore` from the text of a Compose file (`path` only names it in errors).
    ///
    /// - Throws: as ``read(composeFile:)``.
    public static func parse(composeFileText text: String, path: String) throws -> StevedoreSettings {
        let document: Any?
        do {
            try YAMLLimits.check(text)
            document = try Yams.load(yaml: text)
        } catch ComposeConfigError.unreadable(let why) {
            throw ComposeConfigError.unreadable("\(path): \(why)")
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
            case "logs":
                guard let logs = raw as? [String: Any] else {
                    throw ComposeConfigError.invalidSetting(
                        key: key, value: "\(raw)", allowed: "a map such as {max_size: 64m, file_size: 8m}")
                }
                for (name, size) in logs {
                    guard name == "max_size" || name == "file_size" else {
                        throw ComposeConfigError.invalidSetting(
                            key: "logs.\(name)", value: "\(size)", allowed: "known keys: max_size, file_size")
                    }
                    guard let bytes = (size as? Int) ?? (size as? String).flatMap(parseSize), logSizeRange.contains(bytes) else {
                        throw ComposeConfigError.invalidSetting(
                            key: "logs.\(name)", value: "\(size)",
                            allowed: "a size from 64k to 64g, like 512k, 64m, 1g (powers of 1024) or bytes")
                    }
                    if name == "max_size" { settings.logMaxSize = bytes } else { settings.logFileSize = bytes }
                }
                if let file = settings.logFileSize, let cap = settings.logMaxSize, file > cap {
                    throw ComposeConfigError.invalidSetting(
                        key: "logs.file_size", value: "\(logs["file_size"] ?? file)",
                        allowed: "a size at most logs.max_size (\(logs["max_size"] ?? cap))")
                }
            default:
                throw ComposeConfigError.invalidSetting(key: key, value: "\(raw)", allowed: "known keys: health_check_timeout, logs")
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
        // A number too large to multiply is out of range, not a trap.
        guard let value = Int(text.dropLast()), value.multipliedReportingOverflow(by: multiplier).overflow == false else { return nil }
        return value * multiplier
    }

    /// Parses a size such as `64m`, `512k`, `1g`, `1048576` (bytes; k/m/g are powers of 1024,
    /// with an optional `b` or `ib`, any case).
    ///
    /// - Returns: bytes, or `nil` for anything else.
    public static func parseSize(_ text: String) -> Int? {
        var t = text.trimmingCharacters(in: .whitespaces).lowercased()
        if t.hasSuffix("ib") { t.removeLast(2) } else if t.hasSuffix("b") { t.removeLast() }
        guard let last = t.last else { return nil }
        var factor = 1
        switch last {
        case "k": factor = 1024
        case "m": factor = 1024 * 1024
        case "g": factor = 1024 * 1024 * 1024
        default: break
        }
        if factor > 1 { t.removeLast() }
        guard let value = Int(t), value >= 0, value <= Int.max / factor else { return nil }
        return value * factor
    }
}
