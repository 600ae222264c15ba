/// Where one container's stream resumes after a restart of the streamer or the daemon: the
/// last timestamp written for it and the records written at exactly that timestamp.
///
/// The engine's `since=` includes messages at the instant given, so the stream is reopened
/// at ``timestamp`` and ``admit(_:)`` compares the records at the boundary instead of
/// appending them again: nothing is lost and nothing is written twice.
public struct LogResumePoint: Sendable, Equatable {
    /// The last timestamp written (canonical bytes).
    public var timestamp: [UInt8]
    /// Records of this container at exactly ``timestamp`` already in the file (a multiset:
    /// each admits one equal incoming record to be skipped).
    public var boundary: [LogRecord]
    /// Whether every record at ``timestamp`` is known (from the files); `false` when only
    /// the `.positions` entry is left, and records at that instant are all skipped.
    public var boundaryKnown: Bool
    private var passed = false

    /// A point at `timestamp` with the records at it.
    public init(timestamp: [UInt8], boundary: [LogRecord], boundaryKnown: Bool = true) {
        self.timestamp = timestamp
        self.boundary = boundary
        self.boundaryKnown = boundaryKnown
    }

    /// Whether `record` is new: later than the point, or at it and not one already written.
    public mutating func admit(_ record: LogRecord) -> Bool {
        if passed { return true }
        if record.timestamp.lexicographicallyPrecedes(timestamp) { return false }
        if record.timestamp == timestamp {
            guard boundaryKnown else { return false }
            if let index = boundary.firstIndex(where: {
                $0.stream == record.stream && $0.continues == record.continues && $0.text == record.text
            }) {
                boundary.remove(at: index)
                return false
            }
            return true
        }
        passed = true
        return true
    }

    /// Finds the point of `container` (any form of its id) of `service` in `directory`:
    /// the service's files are read from the newest line backwards until the container's
    /// last record, or until records older than `notBefore` (the container's creation: its
    /// lines cannot be older); then the `.positions` entry. `nil`: nothing written yet.
    public static func find(
        container: String, service: String, directory: String, notBefore: [UInt8]?, positions: [UInt8]?
    ) -> LogResumePoint? {
        let id = String(container.prefix(12))
        // Records are appended as they arrive, so a file is nearly in time order; a minute of
        // slack covers lines of other containers that arrived late.
        func before(_ stamp: [UInt8], seconds: Int64) -> [UInt8]? {
            LogTimestamp(parsing: stamp).map { Array(LogTimestamp(seconds: $0.seconds - seconds, nanoseconds: $0.nanoseconds).text.utf8) }
        }
        let stopBefore = notBefore.flatMap { before($0, seconds: 60) }
        var found: LogResumePoint?
        var floor: [UInt8]?  // a few seconds before the point: the boundary scan stops there
        var done = false
        for path in LogFileSet.files(of: service, in: directory).reversed() where !done {
            LogFileScanner.scanBackward(path) { record in
                if let point = found {
                    if record.container == id {
                        if record.timestamp == point.timestamp {
                            found?.boundary.append(record)
                        } else if record.timestamp.lexicographicallyPrecedes(point.timestamp) {
                            done = true
                            return false
                        }
                    }
                    // Records at the boundary from other containers may interleave; a few
                    // seconds before the point, stop.
                    if let floor, record.timestamp.lexicographicallyPrecedes(floor) {
                        done = true
                        return false
                    }
                    return true
                }
                if record.container == id {
                    found = LogResumePoint(timestamp: record.timestamp, boundary: [record])
                    floor = before(record.timestamp, seconds: 5)
                    return true
                }
                if let stopBefore, record.timestamp.lexicographicallyPrecedes(stopBefore) {
                    done = true
                    return false
                }
                return true
            }
        }
        if let found { return found }
        if let positions { return LogResumePoint(timestamp: positions, boundary: [], boundaryKnown: false) }
        return nil
    }
}
