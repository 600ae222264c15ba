/// Redacts a byte stream that arrives in pieces (Docker frames, reads of a pipe), so that a
/// secret split across two pieces is still caught.
///
/// It holds back at most ``RedactionRules/maximumLength`` − 1 bytes of an unfinished line
/// (more only while a match that may still grow ends there); everything up to the last
/// newline is released at once, since no form holds a newline. ``flush()`` releases the rest:
/// call it when the stream ends and after a short idle time, so that a prompt without a
/// newline still appears (a secret cut by such a flush can leak its first part).
public struct RedactingStream: Sendable {
    /// The secrets in force; replacing them takes effect from the next ``feed(_:)``.
    public var rules: RedactionRules
    private var pending: [UInt8] = []

    /// Bytes received but not yet released.
    public var heldBack: Int { pending.count }

    /// - Parameter rules: the compiled secrets.
    public init(rules: RedactionRules) {
        self.rules = rules
    }

    /// Takes the next piece of the stream and returns what can be released now, redacted.
    public mutating func feed(_ bytes: some Sequence<UInt8>) -> [UInt8] {
        pending.append(contentsOf: bytes)
        let matches = rules.matches(in: pending[...])
        var limit = max(0, pending.count - max(rules.maximumLength - 1, 0))
        if let newline = pending.lastIndex(of: 0x0A) { limit = max(limit, newline + 1) }
        // A match that reaches past the limit may still grow: keep all of it.
        for match in matches where match.range.lowerBound < limit && match.range.upperBound > limit {
            limit = match.range.lowerBound
        }
        guard limit > 0 else { return [] }
        let released = RedactionRules.render(pending[..<limit], matches.filter { $0.range.upperBound <= limit })
        pending.removeFirst(limit)
        return released
    }

    /// Releases everything held back, redacted (end of stream, or idle).
    public mutating func flush() -> [UInt8] {
        defer { pending.removeAll(keepingCapacity: true) }
        return rules.redact(pending[...])
    }
}
