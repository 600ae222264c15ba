/// The protocol v2 `ls-refs` command for one branch (gitprotocol-v2(5), "ls-refs"): the
/// request, and ``GitLsRefs/Reader`` for the answer. With `ref-prefix refs/heads/<branch>`
/// the server lists only refs starting so, whatever the size of the repository.
public enum GitLsRefs {
    /// The request bytes:
    ///
    ///     command=ls-refs LF, [agent=<agent> LF], [object-format=<format> LF], delim-pkt,
    ///     ref-prefix refs/heads/<branch> LF, flush-pkt
    ///
    /// `object-format` is sent when the server is not SHA-1: a SHA-256 server refuses a
    /// client that leaves it out ("mismatched object format: server sha256; client sha1").
    ///
    /// - Parameters:
    ///   - branch: the branch (`main`).
    ///   - agent: the `agent=` value (`stevedore/1.0`); pass one only when the server
    ///     offered `agent` (gitprotocol-v2(5)); `nil` sends none. Printable ASCII, no spaces.
    ///   - objectFormat: the server's format (from its capability advertisement).
    /// - Throws: ``GitProtocolError/invalidBranch(_:)``;
    ///   ``GitProtocolError/unexpected(expected:got:)`` for an agent with other bytes.
    public static func request(branch: String, agent: String? = nil, objectFormat: GitObjectFormat = .sha1) throws -> [UInt8] {
        guard GitRefName.isValidBranch(branch) else { throw GitProtocolError.invalidBranch(branch) }
        var packets: [PktLine] = [.line("command=ls-refs")]
        if let agent {
            guard !agent.isEmpty, agent.utf8.allSatisfy({ (0x21...0x7E).contains($0) }) else {
                throw GitProtocolError.unexpected(expected: "an agent of printable ASCII without spaces", got: Array(agent.utf8))
            }
            packets.append(.line("agent=" + agent))
        }
        if objectFormat != .sha1 { packets.append(.line("object-format=" + objectFormat.rawValue)) }
        packets += [.delimiter, .line("ref-prefix refs/heads/" + branch), .flush]
        return try packets.flatMap { try $0.encoded() }
    }

    /// Reads the answer to ``request(branch:agent:objectFormat:)``:
    ///
    ///     *(PKT-LINE((obj-id | "unborn") SP refname *(SP ref-attribute) LF)) flush-pkt
    ///     ref-attribute = "symref-target:" target | "peeled:" obj-id
    ///
    /// A prefix matches longer names too (`refs/heads/main-old`); only the exact ref counts.
    /// A trailing response-end packet (`0002`, stateless connections) is accepted.
    public struct Reader: Sendable {
        /// The ref asked about: `refs/heads/<branch>`.
        public let ref: String
        /// The object format of the ids.
        public let objectFormat: GitObjectFormat
        /// The commit of ``ref``, once read; `nil` when it is not (or not yet) listed.
        public private(set) var head: String?
        /// Whether the closing flush has been read.
        public private(set) var isDone = false
        private let refBytes: [UInt8]
        private var sawResponseEnd = false

        /// - Throws: ``GitProtocolError/invalidBranch(_:)``.
        public init(branch: String, objectFormat: GitObjectFormat = .sha1) throws {
            guard GitRefName.isValidBranch(branch) else { throw GitProtocolError.invalidBranch(branch) }
            ref = "refs/heads/" + branch
            refBytes = Array(ref.utf8)
            self.objectFormat = objectFormat
        }

        /// Reads the next packet; returns `true` once the closing flush is read.
        ///
        /// - Throws: ``GitProtocolError/serverError(_:)`` for `ERR`,
        ///   ``GitProtocolError/invalidObjectID(bytes:objectFormat:)``,
        ///   ``GitProtocolError/unexpected(expected:got:)``.
        @discardableResult
        public mutating func read(_ packet: PktLine) throws -> Bool {
            switch packet {
            case .flush where !isDone:
                isDone = true
                return true
            case .responseEnd where isDone && !sawResponseEnd:
                sawResponseEnd = true
                return true
            case .data(let payload) where !isDone:
                let line = payload.last == 0x0A ? payload.dropLast() : payload[...]
                if line.starts(with: "ERR ".utf8) {
                    throw GitProtocolError.serverError(String(decoding: line.dropFirst(4), as: UTF8.self))
                }
                let fields = line.split(separator: 0x20, omittingEmptySubsequences: false)
                guard fields.count >= 2, !fields[1].isEmpty, !line.contains(0), !line.contains(0x0A) else {
                    throw GitProtocolError.unexpected(expected: "a ref line '<object id> <refname>[ <attribute>…]'", got: payload)
                }
                let unborn = fields[0].elementsEqual("unborn".utf8)
                let id = unborn ? nil : try objectFormat.objectID(fields[0])
                for attribute in fields.dropFirst(2) {
                    if attribute.starts(with: "peeled:".utf8) {
                        _ = try objectFormat.objectID(attribute.dropFirst("peeled:".count))
                    } else if !attribute.starts(with: "symref-target:".utf8) {
                        throw GitProtocolError.unexpected(expected: "'symref-target:' or 'peeled:'", got: payload)
                    }
                }
                if head == nil, fields[1].elementsEqual(refBytes) { head = id }
                return false
            default: break
            }
            let expected = isDone ? "nothing after the closing flush" : "a ref line or the closing flush"
            throw GitProtocolError.unexpected(expected: expected, got: try packet.encoded())
        }

        /// Declares the end of the answer.
        ///
        /// - Throws: ``GitProtocolError/endedEarly(after:)`` when the closing flush is missing.
        public func finish() throws {
            guard isDone else { throw GitProtocolError.endedEarly(after: "the ls-refs answer's ref lines") }
        }

        /// Decodes and reads a whole answer; returns the branch's commit or `nil`.
        ///
        /// - Throws: as ``PktLineDecoder/feed(_:_:)``, ``read(_:)`` and ``finish()``.
        public static func head(
            in bytes: some Collection<UInt8>, branch: String, objectFormat: GitObjectFormat = .sha1,
            responseLimit: Int = PktLineDecoder.defaultResponseLimit
        ) throws -> String? {
            var reader = try Reader(branch: branch, objectFormat: objectFormat)
            var decoder = PktLineDecoder(responseLimit: responseLimit)
            try decoder.feed(bytes) { try reader.read($0) }
            try decoder.finish()
            try reader.finish()
            return reader.head
        }
    }
}
