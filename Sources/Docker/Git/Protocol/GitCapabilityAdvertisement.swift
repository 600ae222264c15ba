/// A protocol v2 capability advertisement (gitprotocol-v2(5), "Capability Advertisement"):
/// after `version 2`, one `key[=value]` line per capability, then a flush.
public struct GitCapabilityAdvertisement: Sendable, Equatable {
    /// The capability lines without LF, in order (`agent=git/2.39.5`, `ls-refs=unborn`,
    /// `fetch=shallow wait-for-done`, `object-format=sha1`, …).
    public var capabilities: [String]
    /// The object format (`object-format=`; SHA-1 when absent).
    public var objectFormat: GitObjectFormat

    /// The most capabilities read (a server offers about ten).
    public static let maxCapabilities = 256

    /// Whether `key` is offered, with or without a value (`ls-refs`).
    public func offers(_ key: String) -> Bool { capabilities.contains { $0 == key || $0.hasPrefix(key + "=") } }

    /// The value of `key=value`, `nil` when absent or offered without a value.
    public func value(of key: String) -> String? {
        capabilities.first { $0.hasPrefix(key + "=") }.map { String($0.dropFirst(key.count + 1)) }
    }

    /// The server's `agent=` (`git/2.39.5`), if sent.
    public var agent: String? { value(of: "agent") }
}
