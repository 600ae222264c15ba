import CYaml
import Foundation
import Yams

/// Bounds on the YAML Stevedore reads (a Compose file from a repository, `compose config`
/// output), checked on libyaml's event stream before Yams builds anything: Yams expands every
/// alias into a full copy, and hashes mapping keys in full, so a document of a few hundred
/// bytes whose anchors nest aliases ("billion laughs") would take memory and time without
/// bound. libyaml itself already limits nesting to 1000 levels.
///
/// libyaml is the copy Yams bundles (its `CYaml` module, visible through the Yams product).
public enum YAMLLimits {
    /// Most nodes a document may have with every alias expanded (a large Compose file has a
    /// few thousand).
    public static let maximumNodes = 100_000

    /// Largest YAML text read, in bytes: 16 MiB (a Compose file is a few KiB).
    public static let maximumBytes = 16 * 1024 * 1024

    /// Checks `text` against ``maximumBytes`` and ``maximumNodes`` and refuses mapping keys
    /// that are collections (Compose's keys are strings); anything else, including syntax
    /// errors, is left to Yams to report.
    ///
    /// - Throws: ``ComposeConfigError/unreadable(_:)`` naming the limit.
    public static func check(_ text: String) throws {
        guard text.utf8.count <= maximumBytes else {
            throw ComposeConfigError.unreadable("the YAML is \(text.utf8.count) bytes; at most \(maximumBytes) are read")
        }
        var parser = yaml_parser_t()
        guard yaml_parser_initialize(&parser) == 1 else { return }
        defer { yaml_parser_delete(&parser) }
        var bytes = Array(text.utf8)
        try bytes.withUnsafeMutableBufferPointer { buffer in
            yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING)
            yaml_parser_set_input_string(&parser, buffer.baseAddress, buffer.count)
            var counter = Counter()
            while true {
                var event = yaml_event_t()
                guard yaml_parser_parse(&parser, &event) == 1 else { return }
                defer { yaml_event_delete(&event) }
                if event.type == YAML_STREAM_END_EVENT { return }
                try counter.take(event)
            }
        }
    }

    /// The text of the YAML file at `path`, refused before it is read when larger than
    /// ``maximumBytes``.
    ///
    /// - Throws: ``ComposeConfigError/unreadable(_:)``.
    public static func readFile(_ path: String) throws -> String {
        let size = ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.intValue ?? 0
        guard size <= maximumBytes else {
            throw ComposeConfigError.unreadable("\(path) is \(size) bytes; at most \(maximumBytes) are read")
        }
        do {
            return try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ComposeConfigError.unreadable("cannot read \(path): \(error.localizedDescription)")
        }
    }

    /// Expanded sizes of the open collections and of every anchor seen: O(1) per event.
    struct Counter {
        struct Open {
            /// Nodes so far, itself included.
            var size = 1
            var anchor: String?
            var isMapping: Bool
            /// In a mapping: whether the next node is a key.
            var expectsKey = true
        }
        var open: [Open] = []
        var anchors: [String: Int] = [:]
        var total = 0

        static func name(_ pointer: UnsafeMutablePointer<yaml_char_t>?) -> String? {
            pointer.map { String(cString: $0) }
        }

        mutating func take(_ event: yaml_event_t) throws {
            switch event.type {
            case YAML_SCALAR_EVENT:
                try node(size: 1, anchor: Self.name(event.data.scalar.anchor), isCollection: false)
            case YAML_ALIAS_EVENT:
                // An undefined alias is Yams's error to report.
                let size = Self.name(event.data.alias.anchor).flatMap { anchors[$0] } ?? 1
                try node(size: size, anchor: nil, isCollection: size > 1)
            case YAML_SEQUENCE_START_EVENT:
                try start(anchor: Self.name(event.data.sequence_start.anchor), isMapping: false)
            case YAML_MAPPING_START_EVENT:
                try start(anchor: Self.name(event.data.mapping_start.anchor), isMapping: true)
            case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
                guard let done = open.popLast() else { return }
                if let anchor = done.anchor { anchors[anchor] = done.size }
                // Counted in the total as its nodes came; the parent takes its size now.
                contained(done.size)
            default:
                break
            }
        }

        private mutating func start(anchor: String?, isMapping: Bool) throws {
            try refuseCollectionKey()
            try count(1)
            open.append(Open(anchor: anchor, isMapping: isMapping))
        }

        private mutating func node(size: Int, anchor: String?, isCollection: Bool) throws {
            if isCollection { try refuseCollectionKey() }
            try count(size)
            if let anchor { anchors[anchor] = size }
            contained(size)
        }

        /// A finished node of `size` goes into the innermost open collection.
        private mutating func contained(_ size: Int) {
            guard let last = open.indices.last else { return }
            open[last].size += size
            if open[last].isMapping { open[last].expectsKey.toggle() }
        }

        private mutating func count(_ size: Int) throws {
            total += size
            guard total <= YAMLLimits.maximumNodes else {
                throw ComposeConfigError.unreadable(
                    "the YAML has more than \(YAMLLimits.maximumNodes) nodes with its aliases (*name) expanded; at most \(YAMLLimits.maximumNodes) are allowed"
                )
            }
        }

        private func refuseCollectionKey() throws {
            if let last = open.last, last.isMapping, last.expectsKey {
                throw ComposeConfigError.unreadable(
                    "a mapping key is a list, a map or an alias of one; Compose files have only string keys")
            }
        }
    }
}
