import Foundation
import SeededRandom
import Testing

@testable import LogStreamer

/// Seeded randomized tests of the log streamer's control pipe reader
/// (``LogStreamerMessageReader``; Fixtures/corpus/control: framed `configure` and `fault`
/// messages as the daemon sends them), fed mutations, random pieces, lengths up to 2^32−1.
/// Nothing may trap; a length over the 16 MiB limit is refused from its 4 bytes (never
/// buffered); whatever decodes is a configuration within its ranges; messages round-trip.
@Suite struct LogControlFuzzTests {
    static let run = FuzzRun("LogControlFuzzTests")
    static let corpus = FuzzCorpus.load("control").map(\.bytes)

    /// Feeds `bytes` in random pieces; returns the messages and whether the reader refused.
    static func read(_ bytes: [UInt8], _ rng: inout SplitMix) -> (messages: [LogStreamerMessage], refused: Bool) {
        var reader = LogStreamerMessageReader()
        var messages: [LogStreamerMessage] = []
        var start = 0
        for size in FuzzMutator.pieces(bytes.count, &rng) {
            do {
                messages += try reader.feed(bytes[start..<(start + size)])
            } catch {
                #expect(error is LogStreamerMessageReader.InvalidMessage)
                return (messages, true)
            }
            start += size
        }
        return (messages, reader.failure != nil)
    }

    static func check(_ message: LogStreamerMessage, _ context: String) {
        guard case .configure(let configuration) = message else { return }
        #expect(LogStreamerConfiguration.heartbeatRange.contains(configuration.heartbeatSeconds), "\(context)")
        #expect(LogStreamerConfiguration.idleFlushRange.contains(configuration.idleFlushMilliseconds), "\(context)")
        for deployment in configuration.deployments {
            let limits = deployment.limits
            #expect(LogLimits.minimumBytes <= limits.fileBytes && limits.fileBytes <= limits.maximumBytes, "\(context)")
            #expect(64 <= limits.lineBytes && limits.lineBytes <= max(64, limits.fileBytes / 2), "\(context)")
        }
        _ = configuration.secrets.map(\.value)
    }

    @Test("the corpus reads and round-trips")
    func corpusReads() throws {
        var rng = SplitMix(state: 7)
        let (messages, refused) = Self.read(Self.corpus.flatMap { $0 }, &rng)
        #expect(!refused && messages.count == Self.corpus.count)
        for message in messages {
            let (again, _) = Self.read(try message.framed(), &rng)
            #expect(again == [message])
        }
        #expect(messages.contains(.fault("hang")))
    }

    @Test("mutated streams: no trap; what decodes is within its ranges")
    func mutatedStreams() {
        var rng = Self.run.generator("mutated")
        for iteration in 0..<Self.run.iterations {
            var bytes: [UInt8] = []
            for _ in 0..<Int.random(in: 1...3, using: &rng) {
                let seed = Self.corpus.randomElement(using: &rng)!
                bytes += Bool.random(using: &rng) ? seed : FuzzMutator.mutate(seed, &rng, others: Self.corpus)
            }
            for message in Self.read(bytes, &rng).messages { Self.check(message, Self.run.context(iteration)) }
        }
    }

    @Test("valid messages in any pieces come out whole; a length over the limit is refused at once")
    func framingRoundTrip() throws {
        var rng = Self.run.generator("framing")
        let seeds = try Self.corpus.map { bytes -> LogStreamerMessage in
            var reader = LogStreamerMessageReader()
            return try reader.feed(bytes[...])[0]
        }
        for iteration in 0..<Self.run.iterations {
            let expected = (0..<Int.random(in: 0...4, using: &rng)).map { _ in seeds.randomElement(using: &rng)! }
            var bytes = try expected.flatMap { try $0.framed() }
            let tooLong = Int.random(in: 0..<4, using: &rng) == 0
            if tooLong {
                let length = UInt32.random(in: UInt32(LogStreamerMessage.maximumLength + 1)...UInt32.max, using: &rng)
                bytes += FuzzMutator.bigEndian(length) + FuzzMutator.randomBytes(Int.random(in: 0...8, using: &rng), &rng)
            }
            let (messages, refused) = Self.read(bytes, &rng)
            #expect(messages == expected && refused == tooLong, "\(Self.run.context(iteration))")
        }
        // 2^32-1 from 4 bytes: refused before anything is buffered.
        var reader = LogStreamerMessageReader()
        #expect(throws: LogStreamerMessageReader.InvalidMessage.self) { try reader.feed([0xFF, 0xFF, 0xFF, 0xFF]) }
    }

    @Test("negative limits and a heartbeat too long for a Duration are clamped (found by this suite)")
    func outOfRangeNumbersAreClamped() throws {
        let body =
            #"{"configure":{"_0":{"dockerSocket":"/s","secrets":[],"heartbeatSeconds":1e300,"idleFlushMilliseconds":-5,"#
            + #""deployments":[{"name":"a","project":"p","directory":"/d","limits":{"maximumBytes":-1,"fileBytes":0,"lineBytes":-64}}]}}}"#
        var reader = LogStreamerMessageReader()
        let message = try reader.feed((FuzzMutator.bigEndian(UInt32(body.utf8.count)) + Array(body.utf8))[...])[0]
        Self.check(message, "regression")
        guard case .configure(let configuration) = message else { throw CancellationError() }
        #expect(configuration.heartbeatSeconds == 86_400 && configuration.idleFlushMilliseconds == 0)
        #expect(configuration.deployments[0].limits == LogLimits(maximumBytes: -1, fileBytes: 0, lineBytes: -64))
    }
}
