import Testing

@testable import Docker

@Suite struct LogFrameDemuxerTests {
    /// One engine frame: header (stream, 0, 0, 0, big-endian length) and payload.
    func frame(_ stream: UInt8, _ payload: [UInt8]) -> [UInt8] {
        let n = UInt32(payload.count)
        return [stream, 0, 0, 0, UInt8(n >> 24), UInt8((n >> 16) & 0xFF), UInt8((n >> 8) & 0xFF), UInt8(n & 0xFF)] + payload
    }

    func events(_ bytes: [UInt8], split: Int, tty: Bool = false) -> [String] {
        var demuxer = LogFrameDemuxer(tty: tty)
        var out: [String] = []
        var payload: [UInt8] = []
        for start in stride(from: 0, to: bytes.count, by: max(1, split)) {
            demuxer.feed(bytes[start..<min(bytes.count, start + split)]) { event in
                switch event {
                case .start(let stream): out.append("start \(stream.name)")
                case .bytes(let piece): payload += piece
                case .end:
                    out.append("end \(String(decoding: payload, as: UTF8.self))")
                    payload = []
                }
            }
        }
        return out
    }

    @Test("frames give the same messages however the bytes are split")
    func anySplit() {
        let bytes = frame(1, Array("hello\n".utf8)) + frame(2, Array("oops\n".utf8)) + frame(1, []) + frame(1, Array("x".utf8))
        let whole = events(bytes, split: bytes.count)
        #expect(whole == ["start stdout", "end hello\n", "start stderr", "end oops\n", "start stdout", "end ", "start stdout", "end x"])
        for split in 1...bytes.count { #expect(events(bytes, split: split) == whole, "split \(split)") }
        // A long frame after the short ones comes out whole too (70,000 bytes in pieces).
        let long = bytes + frame(1, Array(repeating: 0x78, count: 70_000))
        let last = events(long, split: 4096).last
        #expect(last == "end " + String(repeating: "x", count: 70_000))
    }

    @Test("a length of 2^32-1 with a few bytes costs nothing and does not trap; a cut header waits")
    func hugeLengthAndCutHeader() {
        var demuxer = LogFrameDemuxer(tty: false)
        var received = 0
        demuxer.feed([1, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF, 65, 66, 67][...]) { event in
            if case .bytes(let piece) = event { received += piece.count }
        }
        #expect(received == 3)
        #expect(demuxer.isInMessage)
        var cut = LogFrameDemuxer(tty: false)
        cut.feed([1, 0, 0][...]) { _ in Issue.record("no event before the header is complete") }
        #expect(cut.pendingHeaderBytes == 3)
        // An incomplete frame: started, its bytes passed on, not ended.
        var incomplete = LogFrameDemuxer(tty: false)
        var ended = false
        incomplete.feed(frame(1, Array("abcdef".utf8)).prefix(10)) { if $0 == .end { ended = true } }
        #expect(!ended)
        #expect(incomplete.isInMessage)
    }

    @Test("an unknown stream byte is stdout")
    func unknownStream() {
        #expect(events(frame(7, Array("a\n".utf8)), split: 100) == ["start stdout", "end a\n"])
    }

    @Test("a TTY stream has no headers: a message ends at each newline")
    func tty() {
        let bytes = Array("one\ntwo\nthr".utf8)
        #expect(events(bytes, split: 100, tty: true) == ["start stdout", "end one\n", "start stdout", "end two\n", "start stdout"])
        for split in 1...bytes.count { #expect(events(bytes, split: split, tty: true) == events(bytes, split: 100, tty: true)) }
    }
}
