import Foundation
import SeededRandom
import Testing

@testable import Docker

/// Seeded randomized tests of the readers of the Docker engine's JSON
/// (Fixtures/corpus/engine-json: real answers of `GET /containers/json`, `/containers/{id}/json`
/// for a healthy, an exited and a TTY container, `/events` lines and an error body), mutated,
/// cut short, nested deeply. Nothing may trap: every answer decodes or throws a
/// `DecodingError`; the event stream splits into exactly the lines sent, in any pieces.
@Suite struct EngineJSONFuzzTests {
    static let run = FuzzRun("EngineJSONFuzzTests")
    static let corpus = FuzzCorpus.load("engine-json")
    static let answers = corpus.filter { $0.name.hasSuffix(".json") }.map(\.bytes)
    static let eventLines = corpus.filter { $0.name.hasSuffix(".jsonl") }.flatMap { $0.bytes.split(separator: 0x0A).map { Array($0) } }
    static let tokens: [[UInt8]] = [
        "{", "}", "[", "]", ",", ":", "\"", "\\", "\\u0000", "\\ud800", "\\uDFFF", "null", "true", "1e999", "-0", "1.5",
        "9223372036854775808", "-9223372036854775809", "\"Id\":", "\"State\":{", "\"Health\":", "\"Labels\":{", "\"Actor\":{",
        "\"ID\":", "\"Attributes\":", "\u{FEFF}", "\n",
    ].map { Array($0.utf8) }

    static func input(_ corpus: [[UInt8]], _ rng: inout SplitMix) -> [UInt8] {
        switch Int.random(in: 0..<10, using: &rng) {
        case 0: return FuzzMutator.randomBytes(Int.random(in: 0...100, using: &rng), &rng)
        case 1:
            let depth = Int.random(in: 1...(Int.random(in: 0..<100, using: &rng) == 0 ? 100_000 : 2_000), using: &rng)
            return Bool.random(using: &rng)
                ? FuzzMutator.nested("[", "]", depth: depth) : FuzzMutator.nested("{\"State\":", "}", depth: depth)
        default: return FuzzMutator.mutate(corpus.randomElement(using: &rng)!, &rng, others: corpus, tokens: tokens)
        }
    }

    /// Decodes `bytes` as `type`; any error but a `DecodingError` is a failure.
    static func decode<T: Decodable>(_ type: T.Type, _ bytes: [UInt8], _ context: String) -> T? {
        do {
            return try JSONLimits.decode(type, from: Data(bytes))
        } catch is DecodingError {
            return nil
        } catch {
            Issue.record("\(context): not a DecodingError: \(error)")
            return nil
        }
    }

    @Test("the corpus decodes")
    func corpusDecodes() throws {
        let list = try #require(
            Self.decode([ContainerSummary].self, Self.corpus.first { $0.name == "containers-list.json" }!.bytes, "list"))
        #expect(list.count == 2 && list.allSatisfy { $0.labels["com.docker.compose.project"] == "h3fuzz" })
        let exited = try #require(
            Self.decode(ContainerDetails.self, Self.corpus.first { $0.name == "inspect-exited.json" }!.bytes, "exited"))
        #expect(!exited.state.running && exited.state.status == "exited")
        let tty = try #require(Self.decode(ContainerDetails.self, Self.corpus.first { $0.name == "inspect-tty.json" }!.bytes, "tty"))
        #expect(tty.config?.tty == true)
        let events = Self.eventLines.compactMap { ContainerEvent(line: $0) }
        #expect(events.count == Self.eventLines.count && events.contains { $0.action == "start" })
        #expect(events.allSatisfy { $0.attributes["com.docker.compose.project"] == "h3fuzz" })
    }

    @Test("inspect, list and error answers: mutated or deeply nested JSON never traps")
    func mutatedAnswers() {
        var rng = Self.run.generator("answers")
        for iteration in 0..<Self.run.iterations(ci: 5_000) {
            let bytes = Self.input(Self.answers, &rng)
            let context = Self.run.context(iteration)
            if let details = Self.decode(ContainerDetails.self, bytes, context) {
                _ = (details.hasCompleted, details.hasUnboundedLogs)
            }
            if let list = Self.decode([ContainerSummary].self, bytes, context) { _ = list.map { ($0.name, $0.service) } }
            _ = Self.decode([String: String].self, bytes, context)?["message"]
        }
    }

    @Test("event lines: mutated lines never trap; what parses has the id of its Actor")
    func mutatedEvents() {
        var rng = Self.run.generator("events")
        for iteration in 0..<Self.run.iterations(ci: 5_000) {
            let bytes = Self.input(Self.eventLines, &rng)
            guard let event = ContainerEvent(line: bytes) else { continue }
            let object = (try? JSONSerialization.jsonObject(with: Data(bytes))) as? [String: Any]
            #expect((object?["Actor"] as? [String: Any])?["ID"] as? String == event.id, "\(Self.run.context(iteration))")
        }
    }

    @Test("the event stream splits into exactly its lines in any pieces; an overlong line is dropped alone")
    func eventStreamLines() {
        var rng = Self.run.generator("lines")
        for iteration in 0..<Self.run.iterations(ci: 5_000) {
            var stream: [UInt8] = []
            var expected: [[UInt8]] = []
            for _ in 0..<Int.random(in: 0...6, using: &rng) {
                var line = FuzzMutator.mutate(Self.eventLines.randomElement(using: &rng)!, &rng, others: Self.eventLines)
                line.removeAll { $0 == 0x0A }
                if Int.random(in: 0..<5000, using: &rng) == 0 {
                    line += repeatElement(0x20, count: ContainerEvent.Lines.maximumLineLength + Int.random(in: -2...2, using: &rng))
                }
                stream += line + [0x0A]
                if line.count <= ContainerEvent.Lines.maximumLineLength { expected.append(line) }
            }
            let tail = FuzzMutator.randomBytes(Int.random(in: 0...20, using: &rng), &rng).filter { $0 != 0x0A }
            stream += tail
            var splitter = ContainerEvent.Lines()
            var lines: [[UInt8]] = []
            var start = 0
            for size in FuzzMutator.pieces(stream.count, &rng) {
                lines += splitter.feed(stream[start..<(start + size)])
                start += size
            }
            #expect(lines == expected, "\(Self.run.context(iteration))")
            // The unfinished tail comes out with the next newline.
            #expect(splitter.feed([0x0A]) == [tail])
        }
    }
}
