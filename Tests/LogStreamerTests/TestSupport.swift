import Docker
import Foundation
import Redaction
import SeededRandom

@testable import LogStreamer

/// One engine frame: header (stream, 0, 0, 0, big-endian length) and payload.
func frame(_ stream: UInt8, _ payload: [UInt8]) -> [UInt8] {
    let n = UInt32(payload.count)
    return [stream, 0, 0, 0, UInt8(n >> 24), UInt8((n >> 16) & 0xFF), UInt8((n >> 8) & 0xFF), UInt8(n & 0xFF)] + payload
}

/// A message as the engine sends it with `timestamps=1`.
func message(_ stamp: String, _ text: String) -> [UInt8] { Array("\(stamp) \(text)".utf8) }

/// Feeds `bytes` in `pieces` through a demultiplexer and an assembler; returns the records,
/// with an idle flush at the end when `flush`.
func assemble(
    _ bytes: [UInt8], pieces: [Int]? = nil, tty: Bool = false, rules: RedactionRules = .empty, lineBytes: Int = 16 * 1024,
    flush: Bool = false
) -> [LogRecord] {
    var demuxer = LogFrameDemuxer(tty: tty)
    var assembler = LogRecordAssembler(container: "0123456789abcdef", rules: rules, maximumLineLength: lineBytes)
    var out: [LogRecord] = []
    var start = 0
    for size in (pieces ?? [bytes.count]) + [bytes.count] where start < bytes.count {
        let end = min(bytes.count, start + max(1, size))
        demuxer.feed(bytes[start..<end]) { event in assembler.take(event) { out.append($0) } }
        start = end
    }
    if flush { assembler.flushIdle(final: true) { out.append($0) } }
    return out
}

func text(_ records: [LogRecord]) -> [String] { records.map { String(decoding: $0.text, as: UTF8.self) } }

/// A fresh temporary directory.
func temporaryDirectory() throws -> String {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("stevedore-logs-\(UUID().uuidString.prefix(8))").path
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

func record(_ stamp: String, _ text: String, container: String = "0123456789ab", stream: LogFrameDemuxer.Stream = .stdout) -> LogRecord {
    LogRecord(timestamp: Array(stamp.utf8), stream: stream, continues: false, container: container, text: Array(text.utf8))
}

/// `2026-12-01T00:00:00.000000NNNZ` for a small `n`.
func stamp(_ n: Int) -> String { LogTimestamp(seconds: 1_796_083_200, nanoseconds: Int32(n)).text }
