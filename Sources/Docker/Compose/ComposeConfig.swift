import Foundation
import Yams

/// The parts of a Compose project's resolved configuration that Stevedore checks before a
/// deploy, read from the output of `compose config` (YAML, interpolated with the same
/// environment the real `up` gets; Compose v1 and v2 both print it).
public struct ComposeConfig: Sendable, Equatable {
    /// One service of the resolved configuration.
    public struct Service: Sendable, Equatable {
        /// The service name.
        public var name: String
        /// `init: true`: Docker's init (tini) runs as PID 1 and reaps zombies.
        public var initEnabled: Bool
        /// The service's labels (a list `KEY=VALUE` or a map in the file; a map here).
        public var labels: [String: String]
        /// Whether `up` starts it: not when `scale: 0`, `deploy.replicas: 0` or it belongs to
        /// a profile (profiles are off unless asked for).
        public var startedByUp: Bool

        /// A service with the given fields.
        public init(name: String, initEnabled: Bool, labels: [String: String], startedByUp: Bool = true) {
            self.name = name
            self.initEnabled = initEnabled
            self.labels = labels
            self.startedByUp = startedByUp
        }
    }

    /// Label that exempts a service from the `init: true` rule when set to `false`.
    public static let initEnforceLabel = "stevedore.init.enforce"

    /// The services, sorted by name.
    public var services: [Service]

    /// Parses `compose config` output.
    ///
    /// - Throws: ``ComposeConfigError/unreadable(_:)`` when the text is not YAML with a
    ///   `services` map, or is beyond ``YAMLLimits``.
    public static func parse(_ text: String) throws -> ComposeConfig {
        try YAMLLimits.check(text)
        let root: Any?
        do {
            root = try Yams.load(yaml: text)
        } catch {
            throw ComposeConfigError.unreadable("not YAML: \(error)")
        }
        guard let document = root as? [String: Any], let services = document["services"] as? [String: Any] else {
            throw ComposeConfigError.unreadable("no `services` map in the resolved configuration")
        }
        var result: [Service] = []
        for (name, value) in services {
            let service = value as? [String: Any] ?? [:]
            let replicas = ((service["deploy"] as? [String: Any])?["replicas"]).flatMap(integer) ?? service["scale"].flatMap(integer)
            let profiles = service["profiles"] as? [Any] ?? []
            result.append(
                Service(
                    name: name, initEnabled: truthy(service["init"]), labels: labels(service["labels"]),
                    startedByUp: replicas != 0 && profiles.isEmpty))
        }
        return ComposeConfig(services: result.sorted { $0.name < $1.name })
    }

    /// Services without `init: true` that are not exempted by `stevedore.init.enforce=false`,
    /// sorted by name.
    public var servicesWithoutInit: [String] {
        services.filter { service in
            !service.initEnabled && service.labels[Self.initEnforceLabel]?.lowercased() != "false"
        }.map(\.name)
    }

    /// The services `up` starts (``Service/startedByUp``), sorted by name.
    public var servicesStartedByUp: [String] { services.filter(\.startedByUp).map(\.name) }

    private static func integer(_ value: Any) -> Int? {
        if let int = value as? Int { return int }
        return (value as? String).flatMap { Int($0) }
    }

    private static func truthy(_ value: Any?) -> Bool {
        switch value {
        case let bool as Bool: return bool
        case let string as String: return ["true", "yes", "on", "1"].contains(string.lowercased())
        case let int as Int: return int != 0
        default: return false
        }
    }

    private static func labels(_ value: Any?) -> [String: String] {
        if let map = value as? [String: Any] {
            return map.mapValues { "\($0)" }
        }
        if let list = value as? [Any] {
            var result: [String: String] = [:]
            for item in list {
                // At the first `=` byte: a `Character` split would miss `=` followed by a
                // combining mark (one grapheme).
                let bytes = Array("\(item)".utf8)
                let eq = bytes.firstIndex(of: 0x3D) ?? bytes.endIndex
                result[String(decoding: bytes[..<eq], as: UTF8.self)] =
                    eq < bytes.endIndex ? String(decoding: bytes[(eq + 1)...], as: UTF8.self) : ""
            }
            return result
        }
        return [:]
    }
}
