import Foundation
import Yams

/// Errors of reading Compose configuration.
public enum ComposeConfigError: Error, Sendable, Equatable, CustomStringConvertible {
    /// `compose config` printed something Stevedore cannot read.
    case unreadable(String)
    /// `x-stevedore.<key>` has a value outside what is allowed.
    case invalidSetting(key: String, value: String, allowed: String)

    public var description: String {
        switch self {
        case .unreadable(let why): return "cannot read the resolved Compose configuration: \(why)"
        case .invalidSetting(let key, let value, let allowed):
            return
                "x-stevedore\(key.isEmpty ? "" : "." + key) is '\(value)' in the Compose file (read as written: no variables); allowed: \(allowed)"
        }
    }
}
