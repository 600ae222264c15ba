import Docker
import Redaction
import Testing

@testable import LogStreamer

@Suite struct LogRecordAssemblerTests {
    let t1 = "2026-12-01T17:07:48.000000001Z"
    let t2 = "2026-12-01T17:07:48.000000002Z"

    @Test("a message per line: timestamp, stream, text without newline")
    func lines() {
        let bytes = frame(1, message(t1, "hello\n")) + frame(2, message(t2, "oops\n"))
        for split in 1...bytes.count {
            let records = assemble(bytes, pieces: Array(repeating: split, count: bytes.count))
            #expect(records == [record(t1, "hello"), record(t2, "oops", stream: .stderr)], "split \(split)")
        }
    }

    @Test("the engine's 16 KiB partial messages are joined into one line with the first timestamp")
    func partialMessagesJoined() {
        let bytes = frame(1, message(t1, "abc")) + frame(1, message(t2, "def\n"))
        #expect(text(assemble(bytes)) == ["abcdef"])
        #expect(assemble(bytes).first?.timestamp == Array(t1.utf8))
    }

    @Test("a line longer than the limit is split into pieces marked as continuing")
    func longLine() {
        let long = String(repeating: "x", count: 150)
        let records = assemble(frame(1, message(t1, long + "\n")), lineBytes: 64)
        #expect(records.map(\.text.count) == [64, 64, 22])
        #expect(records.map(\.continues) == [true, true, false])
        #expect(records.allSatisfy { $0.timestamp == Array(t1.utf8) })
    }

    @Test("a secret split across two frames and two reads is redacted")
    func secretAcrossFrames() {
        let rules = RedactionRules(secrets: [Secret(key: "TOKEN", value: "supersecret-42")])
        let bytes = frame(1, message(t1, "token=supers")) + frame(1, message(t2, "ecret-42 done\n"))
        for split in 1...bytes.count {
            #expect(text(assemble(bytes, pieces: [split], rules: rules)) == ["token=[REDACTED:TOKEN] done"], "split \(split)")
        }
    }

    @Test("an idle flush writes a prompt without newline as a continuing record")
    func idleFlush() {
        var demuxer = LogFrameDemuxer(tty: false)
        var assembler = LogRecordAssembler(container: "c", rules: .empty)
        var out: [LogRecord] = []
        demuxer.feed(frame(1, message(t1, "Password: "))[...]) { assembler.take($0) { out.append($0) } }
        #expect(out.isEmpty)
        assembler.flushIdle { out.append($0) }
        #expect(text(out) == ["Password: "])
        #expect(out.first?.continues == true)
    }

    @Test("a message without a valid timestamp keeps its bytes as text")
    func noTimestamp() {
        let records = assemble(frame(1, Array("no timestamp here\n".utf8)))
        #expect(text(records) == ["no timestamp here"])
        #expect(records.first?.timestamp.count == 30)
    }

    @Test("a TTY stream: each line carries its timestamp")
    func ttyLines() {
        let bytes = message(t1, "one\r\n") + message(t2, "two\n")
        #expect(text(assemble(bytes, tty: true)) == ["one\r", "two"])
    }

    @Test("the record's file line parses back to the same record")
    func roundTrip() {
        var r = record(t1, "a b  c\u{1}\u{7f}", stream: .stderr)
        r.continues = true
        #expect(LogRecord(line: r.line.dropLast()) == r)
        #expect(LogRecord(line: Array("garbage".utf8)[...]) == nil)
    }
}
