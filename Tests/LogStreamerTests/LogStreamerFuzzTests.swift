import Docker
import Foundation
import Redaction
import SeededRandom
import Testing

@testable import LogStreamer

/// Seeded randomized tests of the parsers of untrusted bytes: the frame demultiplexer and the
/// record assembler (with redaction), fed random bytes, random frames with truncated headers,
/// huge lengths, invalid UTF-8, NULs, TTY streams, mutations of real engine log streams
/// (Fixtures/corpus/log-frames: `GET /containers/{id}/logs?timestamps=1` of a framed and a
/// TTY container), in random pieces; and the readers of what the streamer wrote (log file
/// lines, timestamps). No input may trap, and for well-formed input the records must hold
/// exactly the bytes sent. `STEVEDORE_SEED` replays a run, `STEVEDORE_FUZZ_ITERATIONS` sets
/// how many inputs (default 20,000; scripts/fuzz.sh runs a million).
@Suite struct LogStreamerFuzzTests {
    static let environment = ProcessInfo.processInfo.environment
    static let seed = environment["STEVEDORE_SEED"].flatMap { UInt64($0) } ?? UInt64.random(in: 0...UInt64.max)
    static let iterations = environment["STEVEDORE_FUZZ_ITERATIONS"].flatMap { Int($0) } ?? 20_000

    static func randomBytes(_ count: Int, _ rng: inout SplitMix) -> [UInt8] {
        (0..<count).map { _ in
            switch Int.random(in: 0..<10, using: &rng) {
            case 0: return 0x0A
            case 1: return 0
            case 2: return UInt8.random(in: 0x80...0xFF, using: &rng)  // invalid UTF-8 on its own
            case 3: return 0x20
            default: return UInt8.random(in: 0x21...0x7E, using: &rng)
            }
        }
    }

    static func pieces(_ total: Int, _ rng: inout SplitMix) -> [Int] {
        var out: [Int] = []
        var left = total
        while left > 0 {
            let n = Int.random(in: 1...max(1, min(left, [1, 7, 64, 4096][Int.random(in: 0..<4, using: &rng)])), using: &rng)
            out.append(n)
            left -= n
        }
        return out
    }

    @Test("random bytes, framed or TTY, in random pieces: no trap, bounded memory")
    func randomBytesNeverTrap() {
        print("LogStreamerFuzzTests seed \(Self.seed) (replay: STEVEDORE_SEED=\(Self.seed)), \(Self.iterations) inputs")
        var rng = SplitMix(state: Self.seed)
        let rules = RedactionRules(secrets: [Secret(key: "K", value: "secret-value-1"), Secret(key: "L", value: "another\nline-secret")])
        for _ in 0..<Self.iterations / 2 {
            var bytes = Self.randomBytes(Int.random(in: 0...300, using: &rng), &rng)
            // Sometimes a header with a huge or truncated length.
            if Bool.random(using: &rng) {
                let header: [UInt8] =
                    [UInt8.random(in: 0...3, using: &rng), 0, 0, 0] + (0..<4).map { _ in UInt8.random(in: 0...255, using: &rng) }
                bytes = header.prefix(Int.random(in: 1...8, using: &rng)) + bytes
            }
            let tty = Int.random(in: 0..<4, using: &rng) == 0
            let lineBytes = [64, 100, 16 * 1024][Int.random(in: 0..<3, using: &rng)]
            let records = assemble(bytes, pieces: Self.pieces(bytes.count, &rng), tty: tty, rules: rules, lineBytes: lineBytes, flush: true)
            for record in records {
                #expect(record.text.count <= lineBytes)
                #expect(record.timestamp.count == 30)
                #expect(!record.text.contains(0x0A))
                #expect(LogRecord(line: record.line.dropLast()) == record)
            }
        }
    }

    @Test("well-formed frames of random text: the records hold exactly the text, in order, however split")
    func framesRoundTrip() {
        var rng = SplitMix(state: Self.seed ^ 0x5EED)
        for _ in 0..<Self.iterations / 2 {
            var bytes: [UInt8] = []
            var expected: [[UInt8]] = [[], []]
            for i in 0..<Int.random(in: 1...6, using: &rng) {
                let stream = UInt8.random(in: 1...2, using: &rng)
                var text = Self.randomBytes(Int.random(in: 0...80, using: &rng), &rng)
                text.removeAll { $0 == 0x0A }
                text.append(0x0A)
                bytes += frame(stream, message(stamp(i), "") + text)
                expected[Int(stream) - 1] += text
            }
            let records = assemble(bytes, pieces: Self.pieces(bytes.count, &rng), lineBytes: 64, flush: true)
            for stream in [LogFrameDemuxer.Stream.stdout, .stderr] {
                var got: [UInt8] = []
                for record in records where record.stream == stream {
                    got += record.text
                    if !record.continues { got.append(0x0A) }
                }
                #expect(got == expected[Int(stream.rawValue) - 1], "seed \(Self.seed)")
            }
        }
    }

    static let corpus = FuzzCorpus.load("log-frames")

    /// The invariants of every record, whatever came in.
    static func checkRecords(_ records: [LogRecord], lineBytes: Int, _ context: String) {
        for record in records {
            #expect(record.text.count <= lineBytes, "\(context)")
            #expect(record.timestamp.count == 30, "\(context)")
            #expect(!record.text.contains(0x0A), "\(context)")
            #expect(LogRecord(line: record.line.dropLast()) == record, "\(context)")
        }
    }

    @Test("real engine streams: the same records in any pieces; mutated, no trap and the invariants hold")
    func realStreams() {
        var rng = SplitMix(state: Self.seed ^ 0xC0_4905)
        let streams = Self.corpus.map { (tty: $0.name.hasPrefix("tty"), bytes: $0.bytes) }
        for (tty, bytes) in streams {
            let whole = assemble(bytes, tty: tty, flush: true)
            #expect(!whole.isEmpty && whole.allSatisfy { LogTimestamp(parsing: $0.timestamp) != nil })
            for _ in 0..<100 { #expect(assemble(bytes, pieces: FuzzMutator.pieces(bytes.count, &rng), tty: tty, flush: true) == whole) }
        }
        for iteration in 0..<Self.iterations / 2 {
            let (tty, seed) = streams.randomElement(using: &rng)!
            let bytes = FuzzMutator.mutate(seed, &rng, others: streams.map(\.bytes))
            let lineBytes = [64, 100, 16 * 1024][Int.random(in: 0..<3, using: &rng)]
            let records = assemble(bytes, pieces: FuzzMutator.pieces(bytes.count, &rng), tty: tty, lineBytes: lineBytes, flush: true)
            Self.checkRecords(records, lineBytes: lineBytes, "seed \(Self.seed) iteration \(iteration)")
        }
    }

    @Test("timestamps: any text parses to nothing or to a 30-byte form that reads back the same instant")
    func timestamps() {
        var rng = SplitMix(state: Self.seed ^ 0x71_3E57)
        func digits(_ n: Int) -> String { String((0..<n).map { _ in "0123456789".randomElement(using: &rng)! }) }
        for iteration in 0..<Self.iterations / 2 {
            var text =
                "\(["0000", "9999", "1970", digits(4)].randomElement(using: &rng)!)-\(digits(2))-\(digits(2))T\(digits(2)):\(digits(2)):\(digits(2))"
            if Bool.random(using: &rng) { text += "." + digits(Int.random(in: 0...12, using: &rng)) }
            text += ["Z", "z", "+\(digits(2)):\(digits(2))", "-23:59", "+23:59", "", "Z "].randomElement(using: &rng)!
            var bytes = Array(text.utf8)
            if Int.random(in: 0..<4, using: &rng) == 0 { bytes = FuzzMutator.mutate(bytes, &rng) }
            guard let stamp = LogTimestamp(parsing: bytes) else { continue }
            let context = "seed \(Self.seed) iteration \(iteration): \(text)"
            #expect(stamp.text.utf8.count == 30, "\(context)")
            let again = LogTimestamp(parsing: Array(stamp.text.utf8))
            #expect(again?.seconds == stamp.seconds && again?.nanoseconds == stamp.nanoseconds, "\(context)")
            #expect(LogTimestamp.canonicalBytes(bytes[...]).map { $0.count } == 30, "\(context)")
        }
    }

    @Test("a time past 9999-12-31 by its offset keeps four year digits (found by this suite)")
    func yearTenThousandIsClamped() throws {
        let stamp = try #require(LogTimestamp(parsing: Array("9999-12-31T23:59:59-23:59".utf8)))
        #expect(stamp.text == "9999-12-31T23:59:59.000000000Z")
        #expect(LogTimestamp(parsing: Array("0000-01-01T00:00:00+01:00".utf8))?.text == "0000-01-01T00:00:00.000000000Z")
        #expect(LogTimestamp.since("99999999d")?.text.utf8.count == 30)
    }

    @Test("log file lines: any bytes parse to nothing or to a record of the format")
    func fileLines() {
        var rng = SplitMix(state: Self.seed ^ 0x11_4E5)
        let good = (0..<8).map { n in record(stamp(n), "line \(n) é\u{0}", stream: n % 2 == 0 ? .stdout : .stderr).line.dropLast() }
        for _ in 0..<Self.iterations / 2 {
            let bytes =
                Bool.random(using: &rng)
                ? FuzzMutator.mutate(Array(good.randomElement(using: &rng)!), &rng)
                : FuzzMutator.randomBytes(Int.random(in: 0...80, using: &rng), &rng)
            guard let parsed = LogRecord(line: bytes[...]) else { continue }
            #expect(parsed.timestamp.count == 30 && parsed.container.utf8.count >= 12)
        }
    }
}
