import Foundation
import SeededRandom
import Testing

@testable import LogStreamer

@Suite struct LogFileSetTests {
    func size(_ directory: String) throws -> Int {
        try FileManager.default.contentsOfDirectory(atPath: directory).filter { !$0.hasPrefix(".") }.reduce(0) {
            $0 + (try FileManager.default.attributesOfItem(atPath: directory + "/" + $1)[.size] as? Int ?? 0)
        }
    }

    @Test("files rotate at the file size and the deployment's files never exceed the cap")
    func rotationAndCap() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let limits = LogLimits(maximumBytes: 256 * 1024, fileBytes: 64 * 1024, lineBytes: 1024)
        let set = try LogFileSet(directory: directory, limits: limits)
        var rng = SplitMix(state: 7)
        for i in 0..<5000 {
            let service = ["web", "db", "worker"][Int.random(in: 0..<3, using: &rng)]
            let records = (0..<Int.random(in: 1...20, using: &rng)).map { _ in
                record(stamp(i), String(repeating: "x", count: Int.random(in: 0...1000, using: &rng)))
            }
            try set.write(service: service, records: records)
            #expect(set.totalBytes <= limits.maximumBytes)
        }
        #expect(try size(directory) == set.totalBytes)
        for name in try FileManager.default.contentsOfDirectory(atPath: directory) where !name.hasPrefix(".") {
            #expect(try FileManager.default.attributesOfItem(atPath: directory + "/" + name)[.size] as? Int ?? 0 <= limits.fileBytes)
        }
        // A new set over the same directory continues the numbering and the sizes.
        let again = try LogFileSet(directory: directory, limits: limits)
        #expect(again.totalBytes == set.totalBytes)
    }

    @Test("a file cut short in the middle of a line gets a newline before the next record")
    func cutLine() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try "\(stamp(1)) stdout 0123456789ab whole\n\(stamp(2)) stdout 0123456789ab cut".write(
            toFile: directory + "/web.log", atomically: true, encoding: .utf8)
        let set = try LogFileSet(directory: directory, limits: LogLimits())
        try set.write(service: "web", records: [record(stamp(3), "next")])
        let lines = try String(contentsOfFile: directory + "/web.log", encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 3)
        #expect(LogRecord(line: Array(lines[2].utf8)[...])?.text == Array("next".utf8))
    }

    @Test("resume: the point is the container's last timestamp; records at it are compared, not appended again")
    func resume() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let set = try LogFileSet(directory: directory, limits: LogLimits(maximumBytes: 1 << 20, fileBytes: 64 * 1024))
        try set.write(service: "web", records: [record(stamp(1), "a"), record(stamp(2), "b"), record(stamp(2), "c")])
        try set.write(service: "web", records: [record(stamp(3), "other", container: "ffffffffffff")])
        var point = try #require(
            LogResumePoint.find(container: "0123456789abcdef", service: "web", directory: directory, notBefore: nil, positions: nil))
        #expect(point.timestamp == Array(stamp(2).utf8))
        #expect(point.boundary.count == 2)
        // The engine sends again from stamp 2 (inclusive): b and c are known, d is new.
        do {
            let admitted = point.admit(record(stamp(1), "a"))
            #expect(!admitted)
        }
        do {
            let admitted = point.admit(record(stamp(2), "b"))
            #expect(!admitted)
        }
        do {
            let admitted = point.admit(record(stamp(2), "d"))
            #expect(admitted)
        }
        do {
            let admitted = point.admit(record(stamp(2), "c"))
            #expect(!admitted)
        }
        do {
            let admitted = point.admit(record(stamp(4), "e"))
            #expect(admitted)
        }
        // A container never written: no point (its stream starts at the beginning).
        #expect(LogResumePoint.find(container: "aaaaaaaaaaaa", service: "web", directory: directory, notBefore: nil, positions: nil) == nil)
        // Only the .positions entry left: records at that instant are skipped.
        var fallback = try #require(
            LogResumePoint.find(
                container: "aaaaaaaaaaaa", service: "web", directory: directory, notBefore: nil, positions: Array(stamp(9).utf8)))
        do {
            let admitted = fallback.admit(record(stamp(9), "x"))
            #expect(!admitted)
        }
        do {
            let admitted = fallback.admit(record(stamp(10), "y"))
            #expect(admitted)
        }
    }

    @Test("the reader merges services in time order, takes the tail, and follows across rotation")
    func reader() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let set = try LogFileSet(directory: directory, limits: LogLimits(maximumBytes: 1 << 20, fileBytes: 64 * 1024))
        try set.write(service: "web", records: [record(stamp(1), "w1"), record(stamp(3), "w3")])
        try set.write(service: "db", records: [record(stamp(2), "d2")])
        let all = LogReader(directory: directory, services: [], since: nil, tail: nil)
        #expect(all.nextBatch().map { String(decoding: $0.record.text, as: UTF8.self) } == ["w1", "d2", "w3"])
        let tail = LogReader(directory: directory, services: [], since: nil, tail: 2)
        #expect(tail.nextBatch().map { String(decoding: $0.record.text, as: UTF8.self) } == ["d2", "w3"])
        let since = LogReader(directory: directory, services: ["web"], since: LogTimestamp(parsing: Array(stamp(2).utf8)), tail: nil)
        #expect(since.nextBatch().map { String(decoding: $0.record.text, as: UTF8.self) } == ["w3"])

        let follower = LogReader(directory: directory, services: ["web"], since: nil, tail: 0)
        #expect(follower.nextBatch().isEmpty)
        // Found by a trial: a follower called after two rotations skipped the file between.
        let slow = LogReader(directory: directory, services: ["web"], since: nil, tail: 0)
        #expect(slow.nextBatch().isEmpty)
        var slowSeen: [String] = []
        // Enough to rotate web.log (64 KiB) while following.
        let big = String(repeating: "y", count: 1000)
        var expected: [String] = []
        var seen: [String] = []
        for i in 0..<200 {
            try set.write(service: "web", records: [record(stamp(10 + i), "\(i) \(big)")])
            expected.append("\(i) \(big)")
            if i % 30 == 0 { seen += follower.follow().map { String(decoding: $0.record.text, as: UTF8.self) } }
            if i % 150 == 0 { slowSeen += slow.follow().map { String(decoding: $0.record.text, as: UTF8.self) } }
        }
        seen += follower.follow().map { String(decoding: $0.record.text, as: UTF8.self) }
        slowSeen += slow.follow().map { String(decoding: $0.record.text, as: UTF8.self) }
        #expect(slowSeen == expected, "slow follower: \(slowSeen.count) of \(expected.count) lines")
        #expect(LogFileSet.files(of: "web", in: directory).count > 1, "web.log should have rotated")
        #expect(seen == expected)
    }
}
