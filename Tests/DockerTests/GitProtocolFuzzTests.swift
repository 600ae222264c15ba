import Foundation
import SeededRandom
import Testing

@testable import Docker

/// Seeded randomized tests of the readers of a Git server's ref discovery, which face a
/// hostile server: ``PktLineDecoder`` (gitprotocol-common(5)), the v0/v1/v2 advertisement
/// reader and the `ls-refs` reader (Fixtures/corpus/git-protocol: real `git upload-pack`
/// and `git http-backend` answers, SHA-1 and SHA-256, 300 refs, empty, unborn, symrefs and
/// peeled tags). Inputs arrive in pieces of any size; nothing may trap, the decoder never
/// keeps more than one packet, a stream that never ends stops at the response limit, and
/// well-formed answers read back to what was encoded.
@Suite struct GitProtocolFuzzTests {
    static let run = FuzzRun("GitProtocolFuzzTests")
    static let corpus = FuzzCorpus.load("git-protocol").map(\.bytes)
    static let branches = ["main", "main-old", "feature/x", "alias", "b1", "nothing", "mai", "é"]
    static let tokens: [[UInt8]] = [
        "0000", "0001", "0002", "0003", "fff0", "fff1", "FFFF", "0004", "0005", "\n", "\u{0}", " ", "^{}", "refs/heads/main",
        "refs/heads/", "version 2\n", "version 1\n", "# service=git-upload-pack\n", "ERR ", "capabilities^{}", "object-format=sha256",
        "symref=HEAD:refs/heads/main", "unborn", "peeled:", "symref-target:", "45acf4c7ba6a660f44a72c1668cc81f833c1e15b",
    ].map { Array($0.utf8) }

    static func input(_ rng: inout SplitMix) -> [UInt8] {
        switch Int.random(in: 0..<8, using: &rng) {
        case 0: return FuzzMutator.randomBytes(Int.random(in: 0...300, using: &rng), &rng)
        case 1: return corpus.randomElement(using: &rng)!
        case 2: return Array(corpus.randomElement(using: &rng)!.prefix(Int.random(in: 0...400, using: &rng)))
        default: return FuzzMutator.mutate(seed(&rng), &rng, others: corpus, tokens: tokens)
        }
    }

    /// A corpus file, or mostly a window of up to 2 KiB of one (the 28 KB advertisements would
    /// make the CI budget slow in a debug build): a stream that starts or ends mid-way.
    static func seed(_ rng: inout SplitMix) -> [UInt8] {
        let file = corpus.randomElement(using: &rng)!
        guard file.count > 2048, Int.random(in: 0..<4, using: &rng) != 0 else { return file }
        let start = Bool.random(using: &rng) ? 0 : Int.random(in: 0..<(file.count - 2048), using: &rng)
        return Array(file[start..<(start + Int.random(in: 1...2048, using: &rng))])
    }

    /// The reference decoder: the whole input at once, plainly.
    static func referenceDecode(_ bytes: [UInt8]) -> Result<[PktLine], GitProtocolError> {
        var packets: [PktLine] = []
        var at = 0
        while at < bytes.count {
            guard bytes.count - at >= 4 else { return .failure(.truncated(received: bytes.count - at, expected: 4)) }
            let prefix = Array(bytes[at..<(at + 4)])
            guard let text = String(bytes: prefix, encoding: .ascii), text.allSatisfy(\.isHexDigit), let length = Int(text, radix: 16)
            else { return .failure(.invalidLength(bytes: prefix)) }
            switch length {
            case 0: packets.append(.flush)
            case 1: packets.append(.delimiter)
            case 2: packets.append(.responseEnd)
            case 4...PktLine.maxPacketLength:
                guard bytes.count - at >= length else { return .failure(.truncated(received: bytes.count - at, expected: length)) }
                packets.append(.data(Array(bytes[(at + 4)..<(at + length)])))
            default: return .failure(.lengthOutOfRange(length: length))
            }
            at += max(4, length)
        }
        return .success(packets)
    }

    /// Feeds `bytes` in random pieces; checks the buffer bound after each piece.
    static func decodeInPieces(_ bytes: [UInt8], _ rng: inout SplitMix, limit: Int = PktLineDecoder.defaultResponseLimit) -> Result<
        [PktLine], GitProtocolError
    > {
        var decoder = PktLineDecoder(responseLimit: limit)
        var packets: [PktLine] = []
        var at = 0
        var buffered = 0
        // One expectation at the end: `#expect` per piece would dominate the run time.
        defer { #expect(buffered <= PktLine.maxPacketLength) }
        do {
            for size in FuzzMutator.pieces(bytes.count, &rng) {
                try decoder.feed(bytes[at..<(at + size)]) { packets.append($0) }
                at += size
                buffered = max(buffered, decoder.buffered)
            }
            try decoder.finish()
            return .success(packets)
        } catch let error as GitProtocolError {
            return .failure(error)
        } catch {
            Issue.record("not a GitProtocolError: \(error)")
            return .failure(.serverError("?"))
        }
    }

    @Test("pkt-line decoder: equals the reference on random and mutated answers, in pieces of any size")
    func decoderEqualsReference() {
        var rng = Self.run.generator("decoder")
        for iteration in 0..<Self.run.iterations {
            let bytes = Self.input(&rng)
            let got = Self.decodeInPieces(bytes, &rng)
            #expect(got == Self.referenceDecode(bytes), "\(Self.run.context(iteration)): \(bytes.prefix(200))")
        }
    }

    @Test("pkt-line: any packets encode and decode back, whatever the pieces")
    func roundTrip() throws {
        var rng = Self.run.generator("round-trip")
        for iteration in 0..<Self.run.iterations {
            let packets: [PktLine] = (0..<Int.random(in: 0...12, using: &rng)).map { _ in
                switch Int.random(in: 0..<10, using: &rng) {
                case 0: return .flush
                case 1: return .delimiter
                case 2: return .responseEnd
                case 3 where Int.random(in: 0..<100, using: &rng) == 0:
                    return .data([UInt8](repeating: 0x61, count: Int.random(in: 60_000...PktLine.maxDataLength, using: &rng)))
                default: return .data(FuzzMutator.randomBytes(Int.random(in: 0...100, using: &rng), &rng))
                }
            }
            let bytes = try packets.flatMap { try $0.encoded() }
            #expect(Self.decodeInPieces(bytes, &rng) == .success(packets), "\(Self.run.context(iteration))")
        }
    }

    @Test("a server that answers forever, or announces huge packets, ends in an error at the limit")
    func neverEnding() {
        var rng = Self.run.generator("never-ending")
        let oid = "45acf4c7ba6a660f44a72c1668cc81f833c1e15b"
        // One stream (up to 320 KiB) per 40 inputs of the budget: 500 in CI, 25,000 of a million.
        for iteration in 0..<(Self.run.iterations / 40) {
            let limit = Int.random(in: 0...(256 << 10), using: &rng)
            let unit: [UInt8]
            switch Int.random(in: 0..<5, using: &rng) {
            case 0: unit = Array("003d\(oid) refs/heads/main\n".utf8)
            case 1: unit = Array("0015agent=git/2.39.5\n".utf8)
            case 2: unit = Array("fff0".utf8) + [UInt8](repeating: 0x20, count: 65516)
            case 3: unit = Array("0000".utf8)
            default: unit = Self.input(&rng)
            }
            var decoder = PktLineDecoder(responseLimit: limit)
            var v0 = try! GitServerAdvertisement.Reader(branch: "main")
            var lsRefs = try! GitLsRefs.Reader(branch: "main")
            let first = Array("000eversion 2\n".utf8)
            var sent = 0
            var outcome: Error?
            var buffered = 0
            // The "stream" repeats `unit` (after an optional v2 header) until something throws.
            while outcome == nil, sent <= limit + 65536 + first.count {
                let piece = sent == 0 && Bool.random(using: &rng) ? first : unit
                sent += piece.count
                do {
                    try decoder.feed(piece) { packet in
                        _ = try v0.read(packet)
                        try lsRefs.read(packet)
                    }
                } catch { outcome = error }
                buffered = max(buffered, decoder.buffered)
            }
            #expect(buffered <= PktLine.maxPacketLength)
            #expect(outcome is GitProtocolError, "\(Self.run.context(iteration)): \(unit.count) bytes repeated")
            #expect(decoder.received <= limit)
        }
    }

    @Test("advertisement and ls-refs readers: hostile answers give an error or a commit that the answer lists")
    func readersOnHostileAnswers() {
        var rng = Self.run.generator("readers")
        for iteration in 0..<Self.run.iterations {
            let bytes = Self.input(&rng)
            let branch = Self.branches.randomElement(using: &rng)!
            let smartHTTP = Bool.random(using: &rng)
            let format: GitObjectFormat = Bool.random(using: &rng) ? .sha1 : .sha256
            var heads: [String] = []
            do {
                switch try GitServerAdvertisement.Reader.read(bytes, branch: branch, smartHTTP: smartHTTP) {
                case .version0(let refs): if let head = refs.head { heads.append(head) }
                case .version2(let caps): #expect(caps.capabilities.count <= GitCapabilityAdvertisement.maxCapabilities)
                }
            } catch {
                #expect(error is GitProtocolError, "\(Self.run.context(iteration))")
            }
            do {
                if let head = try GitLsRefs.Reader.head(in: bytes, branch: branch, objectFormat: format) { heads.append(head) }
            } catch {
                #expect(error is GitProtocolError, "\(Self.run.context(iteration))")
            }
            let text = Array(bytes)
            for head in heads {
                #expect(GitHead.isCommit(head), "\(Self.run.context(iteration))")
                let needle = Array("\(head) refs/heads/\(branch)".utf8)
                let listed =
                    text.count >= needle.count
                    && (0...(text.count - needle.count)).contains { text[$0..<($0 + needle.count)].elementsEqual(needle) }
                #expect(listed, "\(Self.run.context(iteration)): \(head) not listed for \(branch)")
            }
        }
    }

    @Test("well-formed v0, v1, smart-HTTP and ls-refs answers read back the encoded branch head")
    func wellFormedAnswers() throws {
        var rng = Self.run.generator("well-formed")
        let names = ["main", "main-old", "feature/x", "feature", "b1", "release/2.0", "é", "x/refs/heads/main"]
        for iteration in 0..<Self.run.iterations {
            let format: GitObjectFormat = Bool.random(using: &rng) ? .sha1 : .sha256
            let digits = Array("0123456789abcdef".utf8)
            func oid() -> String {
                String(decoding: (0..<format.hexLength).map { _ in digits[Int.random(in: 0..<16, using: &rng)] }, as: UTF8.self)
            }
            var refs: [(String, String)] = []
            for _ in 0..<Int.random(in: 0...10, using: &rng) {
                let name = Bool.random(using: &rng) ? "refs/heads/" + names.randomElement(using: &rng)! : "refs/tags/t\(refs.count)"
                guard !refs.contains(where: { $0.0 == name }) else { continue }
                refs.append((name, oid()))
            }
            let branch = names.randomElement(using: &rng)!
            let expected = refs.first { $0.0 == "refs/heads/" + branch }?.1
            var packets: [PktLine] = []
            let smartHTTP = Bool.random(using: &rng)
            if smartHTTP { packets += [.line("# service=git-upload-pack"), .flush] }
            if Bool.random(using: &rng) { packets.append(.line("version 1")) }
            let caps = "multi_ack symref=HEAD:refs/heads/main object-format=\(format.rawValue) agent=git/2.47"
            if refs.isEmpty {
                packets.append(.line(String(repeating: "0", count: format.hexLength) + " capabilities^{}\u{0}" + caps))
            }
            for (index, (name, id)) in refs.enumerated() {
                packets.append(.line("\(id) \(name)" + (index == 0 ? "\u{0}" + caps : "")))
                if name.hasPrefix("refs/tags/") { packets.append(.line("\(oid()) \(name)^{}")) }
            }
            packets.append(.flush)
            let bytes = try packets.flatMap { try $0.encoded() }
            var decoded: [PktLine] = []
            guard case .success(let pieces) = Self.decodeInPieces(bytes, &rng) else {
                Issue.record("\(Self.run.context(iteration)): does not decode")
                continue
            }
            decoded = pieces
            #expect(decoded == packets)
            var reader = try GitServerAdvertisement.Reader(branch: branch, smartHTTP: smartHTTP)
            var result: GitServerAdvertisement?
            for packet in decoded { if let done = try reader.read(packet) { result = done } }
            guard case .version0(let advertisement) = result else {
                Issue.record("\(Self.run.context(iteration)): not read")
                continue
            }
            #expect(advertisement.head == expected, "\(Self.run.context(iteration))")
            #expect(advertisement.refCount == refs.count && advertisement.objectFormat == format)
            #expect(advertisement.symrefs == ["HEAD": "refs/heads/main"])

            var lsRefs: [PktLine] = refs.filter { $0.0.hasPrefix("refs/heads/" + branch) }.map { name, id in
                .line("\(id) \(name)" + (Bool.random(using: &rng) ? " symref-target:refs/heads/main" : ""))
            }
            lsRefs.append(.flush)
            if Bool.random(using: &rng) { lsRefs.append(.responseEnd) }
            let lsBytes = try lsRefs.flatMap { try $0.encoded() }
            #expect(
                try GitLsRefs.Reader.head(in: lsBytes, branch: branch, objectFormat: format) == expected, "\(Self.run.context(iteration))")
        }
    }

    @Test("packed-refs and config scans: any content gives the id of the exact ref or nothing")
    func packedRefsFiles() {
        var rng = Self.run.generator("packed-refs")
        for iteration in 0..<Self.run.iterations {
            let bytes = Self.input(&rng)
            let ref = "refs/heads/" + Self.branches.randomElement(using: &rng)!
            _ = GitLocalRefs.refStorage(inConfig: bytes)
            guard let id = GitLocalRefs.packedRef(ref, in: bytes) else { continue }
            let needle = id + [0x20] + Array(ref.utf8)
            let lines = bytes.split(separator: 0x0A)
            #expect(lines.contains { $0.elementsEqual(needle) }, "\(Self.run.context(iteration))")
        }
    }
}
