import Foundation

/// One container event of `GET /events` (Engine API "SystemEvents": one JSON object per line),
/// the fields Stevedore reads.
public struct ContainerEvent: Sendable, Equatable {
    /// `Action`, e.g. `start`, `die`.
    public var action: String
    /// `Actor.ID`: the full container id.
    public var id: String
    /// `Actor.Attributes`: the container's labels, `name`, `image`, …
    public var attributes: [String: String]

    /// An event with the given fields.
    public init(action: String, id: String, attributes: [String: String]) {
        self.action = action
        self.id = id
        self.attributes = attributes
    }

    /// Parses one line of the stream (without its newline); `nil` for anything that is not a
    /// JSON object with `Actor.ID` (other event types, a line cut short, garbage). Attribute
    /// values that are not strings are dropped.
    public init?(line: some Collection<UInt8>) {
        guard let event = JSONLimits.object(Data(line)) as? [String: Any],
            let actor = event["Actor"] as? [String: Any], let id = actor["ID"] as? String
        else { return nil }
        self.init(
            action: event["Action"] as? String ?? "", id: id,
            attributes: (actor["Attributes"] as? [String: Any])?.compactMapValues { $0 as? String } ?? [:])
    }

    /// Splits the event stream into lines as its pieces arrive, holding at most
    /// ``maximumLineLength`` bytes of an unfinished line (the rest of a longer line is
    /// dropped, and the line with it).
    public struct Lines: Sendable {
        /// Longest line kept, in bytes: 1 MiB (an event is a few hundred bytes).
        public static let maximumLineLength = 1024 * 1024

        private var pending: [UInt8] = []
        private var overlong = false

        /// An empty splitter.
        public init() {}

        /// Takes the next piece and returns the lines it completes, without their newlines.
        public mutating func feed(_ bytes: some Collection<UInt8>) -> [[UInt8]] {
            var lines: [[UInt8]] = []
            var rest = bytes[...]
            while let newline = rest.firstIndex(of: 0x0A) {
                if !overlong, pending.count + rest.distance(from: rest.startIndex, to: newline) <= Self.maximumLineLength {
                    pending += rest[..<newline]
                    lines.append(pending)
                }
                pending.removeAll(keepingCapacity: true)
                overlong = false
                rest = rest[rest.index(after: newline)...]
            }
            if !overlong {
                if pending.count + rest.count <= Self.maximumLineLength {
                    pending += rest
                } else {
                    pending.removeAll()
                    overlong = true
                }
            }
            return lines
        }
    }
}
