extension GitServerAdvertisement {
    /// Reads the packets of `git-upload-pack`'s first answer one at a time, keeping only what
    /// the check of one branch needs.
    ///
    /// Grammar (gitprotocol-pack(5) "Reference Discovery", gitprotocol-http(5) "Smart
    /// Clients", gitprotocol-v2(5) "Capability Advertisement"):
    ///
    ///     [smart HTTP: PKT-LINE("# service=git-upload-pack" LF) flush-pkt]
    ///     v0:  ["version 1"] (zero-id SP "capabilities^{}" NUL caps | first-ref *other-ref) *shallow flush-pkt
    ///          first-ref = obj-id SP refname NUL caps; other-ref = obj-id SP refname ["^{}"]
    ///     v2:  "version 2" LF *(key ["=" value] LF) flush-pkt
    ///
    /// A repository without refs may also answer with a flush alone. An `ERR <message>`
    /// packet is the server refusing (gitprotocol-pack(5)). Over HTTP, git's v2 answer has
    /// no service line; the line is accepted, not required.
    public struct Reader: Sendable {
        enum State: Sendable { case start, serviceFlush, afterService, firstRef, refs, capabilities, done }

        /// The ref asked about: `refs/heads/<branch>`.
        public let ref: String
        private let refBytes: [UInt8]
        private let smartHTTP: Bool
        private var state = State.start
        private var refs = GitRefAdvertisement(
            capabilities: [], symrefs: [:], objectFormat: .sha1, head: nil, refCount: 0, isVersion1: false)
        private var v2 = GitCapabilityAdvertisement(capabilities: [], objectFormat: .sha1)
        private var last = "nothing"

        /// - Parameters:
        ///   - branch: the branch whose commit is wanted (`main`; its ref is
        ///     `refs/heads/main`).
        ///   - smartHTTP: the answer is the body of `GET info/refs?service=git-upload-pack`,
        ///     which may start with the service line and a flush (gitprotocol-http(5)).
        /// - Throws: ``GitProtocolError/invalidBranch(_:)`` for a name git would refuse
        ///   (git-check-ref-format(1) `--branch`).
        public init(branch: String, smartHTTP: Bool = false) throws {
            guard GitRefName.isValidBranch(branch) else { throw GitProtocolError.invalidBranch(branch) }
            ref = "refs/heads/" + branch
            refBytes = Array(ref.utf8)
            self.smartHTTP = smartHTTP
        }

        /// Whether the closing flush has been read.
        public var isDone: Bool { state == .done }

        /// Reads the next packet; returns the advertisement once its closing flush is read.
        ///
        /// - Throws: ``GitProtocolError/serverError(_:)`` for `ERR`,
        ///   ``GitProtocolError/unexpected(expected:got:)`` for a packet out of the grammar
        ///   (anything after the closing flush included),
        ///   ``GitProtocolError/invalidObjectID(bytes:objectFormat:)``,
        ///   ``GitProtocolError/unknownObjectFormat(_:)``,
        ///   ``GitProtocolError/tooManyCapabilities(limit:)``.
        public mutating func read(_ packet: PktLine) throws -> GitServerAdvertisement? {
            guard case .data(let payload) = packet else {
                switch (packet, state) {
                case (.flush, .serviceFlush): state = .afterService
                case (.flush, .start), (.flush, .afterService), (.flush, .firstRef), (.flush, .refs):
                    state = .done
                    return .version0(refs)
                case (.flush, .capabilities):
                    state = .done
                    return .version2(v2)
                default: throw GitProtocolError.unexpected(expected: expected, got: try packet.encoded())
                }
                last = "a flush packet"
                return nil
            }
            let line = payload.last == 0x0A ? payload.dropLast() : payload[...]
            if line.starts(with: "ERR ".utf8) { throw GitProtocolError.serverError(String(decoding: line.dropFirst(4), as: UTF8.self)) }
            last = GitProtocolError.show(payload)
            switch state {
            case .start where smartHTTP && line.starts(with: "# service=".utf8):
                guard line.elementsEqual("# service=git-upload-pack".utf8) else {
                    throw GitProtocolError.unexpected(expected: "'# service=git-upload-pack'", got: payload)
                }
                state = .serviceFlush
            case .start where line.elementsEqual("version 2".utf8), .afterService where line.elementsEqual("version 2".utf8):
                state = .capabilities
            case .start where line.elementsEqual("version 1".utf8), .afterService where line.elementsEqual("version 1".utf8):
                refs.isVersion1 = true
                state = .firstRef
            case .start, .afterService, .firstRef:
                try readFirstRef(line)
                state = .refs
            case .refs:
                try readRef(line)
            case .capabilities:
                guard let key = line.split(separator: UInt8(ascii: "="), maxSplits: 1, omittingEmptySubsequences: false).first,
                    !key.isEmpty, !line.contains(0), !line.contains(0x0A)
                else { throw GitProtocolError.unexpected(expected: "a capability 'key[=value]'", got: payload) }
                guard v2.capabilities.count < GitCapabilityAdvertisement.maxCapabilities else {
                    throw GitProtocolError.tooManyCapabilities(limit: GitCapabilityAdvertisement.maxCapabilities)
                }
                let capability = String(decoding: line, as: UTF8.self)
                if capability.hasPrefix("object-format=") {
                    v2.objectFormat = try GitObjectFormat(capability: String(capability.dropFirst("object-format=".count)))
                }
                v2.capabilities.append(capability)
            case .serviceFlush, .done:
                throw GitProtocolError.unexpected(expected: expected, got: payload)
            }
            return nil
        }

        /// Declares the end of the answer.
        ///
        /// - Throws: ``GitProtocolError/endedEarly(after:)`` when the closing flush is missing.
        public func finish() throws {
            guard state == .done else { throw GitProtocolError.endedEarly(after: last) }
        }

        /// Decodes and reads a whole answer.
        ///
        /// - Throws: as ``PktLineDecoder/feed(_:_:)``, ``read(_:)`` and ``finish()``.
        public static func read(
            _ bytes: some Collection<UInt8>, branch: String, smartHTTP: Bool = false,
            responseLimit: Int = PktLineDecoder.defaultResponseLimit
        ) throws -> GitServerAdvertisement {
            var reader = try Reader(branch: branch, smartHTTP: smartHTTP)
            var decoder = PktLineDecoder(responseLimit: responseLimit)
            var result: GitServerAdvertisement?
            try decoder.feed(bytes) { packet in
                if let done = try reader.read(packet) { result = done }
            }
            try decoder.finish()
            try reader.finish()
            return result!
        }

        private var expected: String {
            switch state {
            case .start, .afterService: return "a ref, 'version 1', 'version 2' or a flush"
            case .serviceFlush: return "the flush after '# service=git-upload-pack'"
            case .firstRef, .refs: return "a ref line '<object id> <refname>' or the closing flush"
            case .capabilities: return "a capability or the closing flush"
            case .done: return "nothing after the closing flush"
            }
        }

        /// `obj-id SP refname [NUL capability-list]`: the capabilities set the object format
        /// that the ids are checked against.
        private mutating func readFirstRef(_ line: ArraySlice<UInt8>) throws {
            let nul = line.firstIndex(of: 0)
            if let nul {
                let list = line[(nul + 1)...].split(separator: 0x20).map { String(decoding: $0, as: UTF8.self) }
                refs.capabilities = list
                for capability in list {
                    if capability.hasPrefix("symref="), let colon = capability.firstIndex(of: ":") {
                        let source = capability[capability.index(capability.startIndex, offsetBy: 7)..<colon]
                        refs.symrefs[String(source)] = String(capability[capability.index(after: colon)...])
                    } else if capability.hasPrefix("object-format=") {
                        refs.objectFormat = try GitObjectFormat(capability: String(capability.dropFirst("object-format=".count)))
                    }
                }
            }
            let ref = line[..<(nul ?? line.endIndex)]
            if let space = ref.firstIndex(of: 0x20), ref[(space + 1)...].elementsEqual("capabilities^{}".utf8) {
                let id = ref[..<space]
                guard refs.objectFormat.isObjectID(id), id.allSatisfy({ $0 == 0x30 }) else {
                    throw GitProtocolError.unexpected(expected: "the zero id before 'capabilities^{}'", got: Array(line))
                }
                return
            }
            try readRef(ref, whole: line)
        }

        /// `obj-id SP refname`, `obj-id SP refname^{}` or `shallow SP obj-id`.
        private mutating func readRef(_ line: ArraySlice<UInt8>, whole: ArraySlice<UInt8>? = nil) throws {
            guard let space = line.firstIndex(of: 0x20) else {
                throw GitProtocolError.unexpected(expected: "a ref line '<object id> <refname>'", got: Array(whole ?? line))
            }
            let first = line[..<space]
            let second = line[(space + 1)...]
            if first.elementsEqual("shallow".utf8) {
                _ = try refs.objectFormat.objectID(second)
                return
            }
            let id = try refs.objectFormat.objectID(first)
            guard !second.isEmpty, !second.contains(0x20), !second.contains(0), !second.contains(0x0A) else {
                throw GitProtocolError.unexpected(expected: "a ref line '<object id> <refname>'", got: Array(whole ?? line))
            }
            if second.reversed().starts(with: "}{^".utf8) { return }
            refs.refCount += 1
            if refs.head == nil, second.elementsEqual(refBytes) { refs.head = id }
        }
    }
}
