import Foundation
import SeededRandom
import Testing

@testable import Supervision

/// Seeded randomized tests of the sd_notify datagram reader (``NotifyMessage``), fed mutations
/// of real datagrams (Fixtures/corpus/notify: recorded from `systemd-notify`), random bytes,
/// invalid UTF-8 and CRs. Nothing may trap; no key holds `=` or a newline; assignments written
/// as sd_notify(3) writes them are read back exactly (lines end at each LF byte).
@Suite struct NotifyMessageFuzzTests {
    static let run = FuzzRun("NotifyMessageFuzzTests")
    static let corpus = FuzzCorpus.load("notify").map(\.bytes)
    static let tokens: [[UInt8]] = [
        "\n", "\r\n", "\r", "=", "READY=1", "WATCHDOG=1", "WATCHDOG=trigger", "STOPPING=1", "STATUS=",
        "X_STEVEDORE_DEGRADED=", "\u{0}", "\u{301}", "\u{FEFF}",
    ].map { Array($0.utf8) }

    @Test("the corpus reads as systemd meant it")
    func corpusReads() {
        let messages = Self.corpus.map { NotifyMessage(datagram: $0) }
        #expect(messages.contains { $0.isReady && $0.status == "listening on 127.0.0.1:8080" })
        #expect(messages.contains { $0.isWatchdog && $0[NotifyMessage.degradedKey] == "Docker engine unreachable: connection refused" })
        #expect(messages.contains { $0.isWatchdogTrigger })
        #expect(messages.contains { $0.status == "naïve ünïcode ✓" && $0["MAINPID"] == "4242" })
    }

    @Test("mutated and random datagrams: no trap, keys without '=' or newlines")
    func mutatedDatagrams() {
        var rng = Self.run.generator("datagrams")
        for iteration in 0..<Self.run.iterations {
            let bytes =
                Int.random(in: 0..<5, using: &rng) == 0
                ? FuzzMutator.randomBytes(Int.random(in: 0...200, using: &rng), &rng)
                : FuzzMutator.mutate(Self.corpus.randomElement(using: &rng)!, &rng, others: Self.corpus, tokens: Self.tokens)
            let message = NotifyMessage(datagram: bytes)
            for (key, value) in message.assignments {
                #expect(
                    !key.utf8.contains(0x3D) && !key.utf8.contains(0x0A) && !value.utf8.contains(0x0A), "\(Self.run.context(iteration))")
            }
            #expect(message.assignments.count <= bytes.filter { $0 == 0x3D }.count)
            _ = (message.isReady, message.isWatchdog, message.isWatchdogTrigger, message.isStopping, message.status)
        }
    }

    @Test("assignments written as sd_notify writes them are read back exactly, CRs and all")
    func assignmentsRoundTrip() {
        var rng = Self.run.generator("roundtrip")
        let pieces = ["A", "Z", "_", "1", " ", "\r", "\t", "é", "\u{301}", "\u{0}", "=", "✓", "\u{FFFD}"]
        for iteration in 0..<Self.run.iterations {
            var assignments: [(key: String, value: String)] = []
            for _ in 0..<Int.random(in: 0...5, using: &rng) {
                let raw = (0..<Int.random(in: 0...6, using: &rng)).map { _ in pieces.randomElement(using: &rng)! }.joined()
                // Without `=` scalars (a `Character` replace misses `=` with a combining mark).
                let key = String(String.UnicodeScalarView(raw.unicodeScalars.filter { $0 != "=" }))
                let value = (0..<Int.random(in: 0...10, using: &rng)).map { _ in pieces.randomElement(using: &rng)! }.joined()
                assignments.append((key, value))
            }
            var datagram: [UInt8] = []
            for (key, value) in assignments {
                datagram += Array("\(key)=\(value)".utf8) + Array(repeating: 0x0A, count: Int.random(in: 1...2, using: &rng))
            }
            if Bool.random(using: &rng), !datagram.isEmpty { datagram.removeLast() }
            let message = NotifyMessage(datagram: datagram)
            #expect(message.assignments.map(\.key) == assignments.map(\.key), "\(Self.run.context(iteration))")
            #expect(message.assignments.map(\.value) == assignments.map(\.value), "\(Self.run.context(iteration))")
        }
    }

    @Test("a CR before the newline does not join two assignments (found by this suite)")
    func crBeforeNewline() {
        let message = NotifyMessage(datagram: Array("STATUS=up\r\nREADY=1".utf8))
        #expect(message.status == "up\r")
        #expect(message.isReady)
    }
}
