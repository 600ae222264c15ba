import Testing

@testable import Docker

@Suite struct DockerLogStreamTests {
    static func frame(_ stream: UInt8, _ text: String) -> [UInt8] {
        let payload = Array(text.utf8)
        let n = UInt32(payload.count)
        return [stream, 0, 0, 0, UInt8(n >> 24), UInt8((n >> 16) & 0xff), UInt8((n >> 8) & 0xff), UInt8(n & 0xff)] + payload
    }

    @Test func framesSplitAnywhereComeOutWhole() {
        let bytes =
            Self.frame(1, "hello\n") + Self.frame(2, "oops\n") + Self.frame(1, "") + Self.frame(1, String(repeating: "x", count: 70_000))
        // Every split point of the first 40 bytes, and byte by byte.
        for split in [0, 1, 7, 8, 9, 13, 14, 15, 22, 40] {
            var stream = DockerLogStream()
            stream.append(Array(bytes[..<split]))
            var frames: [DockerLogStream.Frame] = []
            while let f = stream.next() { frames.append(f) }
            stream.append(Array(bytes[split...]))
            while let f = stream.next() { frames.append(f) }
            #expect(frames.count == 4)
            #expect(frames.first == .init(stream: .stdout, payload: Array("hello\n".utf8)))
            #expect(frames.dropFirst().first == .init(stream: .stderr, payload: Array("oops\n".utf8)))
            #expect(frames.last?.payload.count == 70_000)
            #expect(stream.pendingByteCount == 0)
        }
        var stream = DockerLogStream()
        var count = 0
        for byte in bytes {
            stream.append([byte])
            while stream.next() != nil { count += 1 }
        }
        #expect(count == 4)
    }

    @Test func incompleteFrameWaits() {
        var stream = DockerLogStream()
        stream.append(Array(Self.frame(1, "abcdef").prefix(10)))
        #expect(stream.next() == nil)
        #expect(stream.pendingByteCount == 10)
    }
}
