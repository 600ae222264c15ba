/// The compiled forms of a set of secrets: finds where any of them occurs in a byte string.
/// Immutable and thread-safe; build a new one when the secrets change.
///
/// Matching: every form is at least 8 bytes (``SecretForms/minimumLength``), so each position
/// is checked by its next 8 bytes against a 64 Ki-bit filter, and only on a hit against the
/// forms starting with those 8 bytes. Overlapping or nested matches are merged into one
/// redacted range (no byte of any match survives), named after its longest match.
public final class RedactionRules: Sendable {
    /// One form of one secret.
    struct Pattern: Sendable {
        var bytes: [UInt8]
        var key: Int
    }

    /// A range of the input to replace, and the key of the longest match in it.
    public struct Match: Sendable, Equatable {
        /// Byte offsets in the scanned input.
        public var range: Range<Int>
        /// The secret's key, for the marker.
        public var key: String
    }

    let keys: [String]
    let patterns: [Pattern]
    /// Pattern indices by their first 8 bytes (little-endian `UInt64`).
    let byPrefix: [UInt64: [Int]]
    /// Bit `hash(prefix) >> 48` is set for every pattern prefix.
    let filter: [UInt64]
    /// The longest form in bytes (0 without secrets): a stream holds back one byte less.
    public let maximumLength: Int
    /// How many forms are matched.
    public var formCount: Int { patterns.count }

    /// No secrets: nothing is redacted.
    public static let empty = RedactionRules(secrets: [])

    /// Compiles every form (``SecretForms``) of `secrets`; values shorter than
    /// ``SecretForms/minimumLength`` bytes are skipped.
    public init(secrets: [Secret]) {
        var keys: [String] = []
        var patterns: [Pattern] = []
        for secret in secrets {
            let forms = SecretForms.forms(of: secret.value)
            guard !forms.isEmpty else { continue }
            keys.append(secret.key)
            for form in forms { patterns.append(Pattern(bytes: form, key: keys.count - 1)) }
        }
        var byPrefix: [UInt64: [Int]] = [:]
        var filter = [UInt64](repeating: 0, count: 1 << 10)
        for (index, pattern) in patterns.enumerated() {
            let prefix = Self.load8(pattern.bytes, at: 0)
            byPrefix[prefix, default: []].append(index)
            let bit = Self.hash(prefix)
            filter[bit >> 6] |= 1 << UInt64(bit & 63)
        }
        self.keys = keys
        self.patterns = patterns
        self.byPrefix = byPrefix
        self.filter = filter
        self.maximumLength = patterns.map(\.bytes.count).max() ?? 0
    }

    /// The ranges of `bytes` to redact, in order, disjoint (offsets relative to
    /// `bytes.startIndex`).
    public func matches(in bytes: ArraySlice<UInt8>) -> [Match] {
        guard !patterns.isEmpty, bytes.count >= SecretForms.minimumLength else { return [] }
        var found: [(range: Range<Int>, key: Int)] = []
        bytes.withUnsafeBufferPointer { buffer in
            let count = buffer.count
            for start in 0...(count - SecretForms.minimumLength) {
                let prefix = UnsafeRawPointer(buffer.baseAddress! + start).loadUnaligned(as: UInt64.self).littleEndian
                let bit = Self.hash(prefix)
                guard filter[bit >> 6] & (1 << UInt64(bit & 63)) != 0, let candidates = byPrefix[prefix] else { continue }
                var best: (length: Int, key: Int)?
                for index in candidates {
                    let pattern = patterns[index].bytes
                    guard pattern.count <= count - start, pattern.count > best?.length ?? 0 else { continue }
                    let same = pattern.withUnsafeBufferPointer { p in
                        UnsafeBufferPointer(rebasing: buffer[start..<(start + p.count)]).elementsEqual(p)
                    }
                    if same { best = (pattern.count, patterns[index].key) }
                }
                if let best { found.append((start..<(start + best.length), best.key)) }
            }
        }
        // Merge overlapping matches (found in start order); the longest names the range.
        var merged: [Match] = []
        var longest = 0
        for match in found {
            if let last = merged.last, match.range.lowerBound < last.range.upperBound {
                merged[merged.count - 1].range = last.range.lowerBound..<max(last.range.upperBound, match.range.upperBound)
                if match.range.count > longest {
                    longest = match.range.count
                    merged[merged.count - 1].key = keys[match.key]
                }
            } else {
                merged.append(Match(range: match.range, key: keys[match.key]))
                longest = match.range.count
            }
        }
        return merged
    }

    /// `bytes` with every match replaced by its marker (``marker(for:)``).
    public func redact(_ bytes: ArraySlice<UInt8>) -> [UInt8] {
        Self.render(bytes, matches(in: bytes))
    }

    /// `[REDACTED:KEY]`, what replaces a secret.
    public static func marker(for key: String) -> [UInt8] {
        Array("[REDACTED:\(key)]".utf8)
    }

    /// `bytes` with `matches` (from ``matches(in:)`` on the same bytes) replaced by markers.
    static func render(_ bytes: ArraySlice<UInt8>, _ matches: [Match]) -> [UInt8] {
        guard !matches.isEmpty else { return Array(bytes) }
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var at = bytes.startIndex
        for match in matches {
            out += bytes[at..<(bytes.startIndex + match.range.lowerBound)]
            out += marker(for: match.key)
            at = bytes.startIndex + match.range.upperBound
        }
        out += bytes[at...]
        return out
    }

    static func load8(_ bytes: [UInt8], at offset: Int) -> UInt64 {
        var value: UInt64 = 0
        for i in 0..<8 { value |= UInt64(bytes[offset + i]) << UInt64(8 * i) }
        return value
    }

    static func hash(_ prefix: UInt64) -> Int {
        Int(truncatingIfNeeded: (prefix &* 0x9E37_79B9_7F4A_7C15) >> 48)
    }
}
