import Foundation

/// A bound on the nesting of JSON Stevedore decodes from outside (admin API bodies, Engine API
/// answers and events, the log streamer's control pipe), checked on the bytes before Foundation
/// parses them. Foundation's parser refuses more than 512 levels, but traps while describing
/// where: a body of exactly 513 `[` and nothing else crashed the process (found by
/// APIRequestFuzzTests; swift-foundation's `JSONError.SourceLocation.sourceLocation(at:fullSource:)`
/// at the end of the input). Everything Stevedore reads is a few levels deep.
public enum JSONLimits {
    /// Most levels of nested arrays and objects accepted.
    public static let maximumDepth = 128

    /// Whether `bytes` nests arrays and objects at most ``maximumDepth`` deep (brackets inside
    /// strings do not count; anything else about the JSON is left to the parser).
    public static func isShallow(_ bytes: some Sequence<UInt8>) -> Bool {
        var depth = 0
        var inString = false
        var escaped = false
        for byte in bytes {
            if inString {
                if escaped {
                    escaped = false
                } else if byte == UInt8(ascii: "\\") {
                    escaped = true
                } else if byte == UInt8(ascii: "\"") {
                    inString = false
                }
                continue
            }
            switch byte {
            case UInt8(ascii: "\""): inString = true
            case UInt8(ascii: "["), UInt8(ascii: "{"):
                depth += 1
                if depth > maximumDepth { return false }
            case UInt8(ascii: "]"), UInt8(ascii: "}"): depth = max(0, depth - 1)
            default: break
            }
        }
        return true
    }

    /// `JSONDecoder.decode` after the ``isShallow(_:)`` check.
    ///
    /// - Throws: `DecodingError.dataCorrupted` naming the limit for deeper JSON; the decoder's
    ///   errors.
    public static func decode<T: Decodable>(_ type: T.Type, from data: Data, with decoder: JSONDecoder = JSONDecoder()) throws -> T {
        guard isShallow(data) else {
            throw DecodingError.dataCorrupted(
                .init(codingPath: [], debugDescription: "JSON nested deeper than \(maximumDepth) levels; at most \(maximumDepth) are read"))
        }
        return try decoder.decode(type, from: data)
    }

    /// `JSONSerialization.jsonObject` after the ``isShallow(_:)`` check; `nil` for deeper JSON
    /// or anything that does not parse.
    public static func object(_ data: Data) -> Any? {
        guard isShallow(data) else { return nil }
        return try? JSONSerialization.jsonObject(with: data)
    }
}
