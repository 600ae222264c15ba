import Testing

@testable import LogStreamer

@Suite struct LogTimestampTests {
    @Test("Docker's fixed form is kept as is; other forms are normalized to UTC with nine digits")
    func canonicalForms() {
        #expect(
            LogTimestamp.canonicalBytes(Array("2026-12-01T17:07:48.123456789Z".utf8)[...]).map { String(decoding: $0, as: UTF8.self) }
                == "2026-12-01T17:07:48.123456789Z")
        #expect(LogTimestamp(parsing: Array("2026-12-01T17:07:48.5Z".utf8))?.text == "2026-12-01T17:07:48.500000000Z")
        #expect(LogTimestamp(parsing: Array("2026-12-01T18:07:48.000000001+01:00".utf8))?.text == "2026-12-01T17:07:48.000000001Z")
        #expect(LogTimestamp(parsing: Array("2026-12-01T17:07:48Z".utf8))?.text == "2026-12-01T17:07:48.000000000Z")
        #expect(LogTimestamp(parsing: Array("1970-01-01T00:00:00Z".utf8))?.seconds == 0)
        #expect(LogTimestamp(parsing: Array("2026-12-01T17:07:48.123456789Z".utf8))?.sinceParameter == "1796144868.123456789")
    }

    @Test(
        "garbage is not a timestamp",
        arguments: [
            "", "x", "2026-13-01T00:00:00Z", "2026-12-01T17:07:48.Z", "2026-12-01 17:07:48Z", "2026-12-01T17:07:48",
            "2026-12-01T17:07:48.1234567891234567891234567Z1",
        ])
    func garbage(_ text: String) {
        #expect(LogTimestamp(parsing: Array(text.utf8)) == nil)
    }

    @Test("--since accepts durations and RFC 3339")
    func since() {
        let now = LogTimestamp(seconds: 10_000, nanoseconds: 5)
        #expect(LogTimestamp.since("10m", now: now)?.seconds == Int64(10_000 - 600))
        #expect(LogTimestamp.since("2h", now: now)?.seconds == Int64(10_000 - 7200))
        #expect(LogTimestamp.since("1970-01-01T00:00:01Z", now: now)?.seconds == 1)
        #expect(LogTimestamp.since("yesterday", now: now) == nil)
        #expect(LogTimestamp.since("-5m", now: now) == nil)
    }
}
