/// Reads a deployment's logs as `stevedore logs` shows them: the chosen services' records
/// merged in timestamp order, from `since`, the last `tail` of them; then, for `--follow`,
/// what is appended after.
public final class LogReader {
    /// One record with its service.
    public struct Entry: Sendable, Equatable {
        /// The service (file name).
        public var service: String
        /// The record.
        public var record: LogRecord
    }

    private let directory: String
    private let allServices: Bool
    private var cursors: [LogFileCursor]
    private var heads: [LogRecord?]
    private let since: [UInt8]?
    private let tail: Int?
    private var tailDone = false

    /// The services that have files, sorted.
    public var services: [String] { cursors.map(\.service) }

    /// - Parameters:
    ///   - services: the services to read; empty: all that have files (and any that appear
    ///     while following).
    ///   - since: first timestamp shown.
    ///   - tail: show only the last this many records of the first pass.
    public init(directory: String, services: [String], since: LogTimestamp?, tail: Int?) {
        self.directory = directory
        allServices = services.isEmpty
        let names = services.isEmpty ? LogFileSet.services(in: directory) : services
        cursors = names.map { LogFileCursor(service: $0, directory: directory) }
        self.since = since.map { Array($0.text.utf8) }
        self.tail = tail
        heads = []
        heads = cursors.map { nextAdmitted($0) }
    }

    private func nextAdmitted(_ cursor: LogFileCursor) -> LogRecord? {
        while let record = cursor.next() {
            if let since, record.timestamp.lexicographicallyPrecedes(since) { continue }
            return record
        }
        return nil
    }

    private func nextMerged() -> Entry? {
        var best = -1
        for i in heads.indices {
            guard let head = heads[i] else { continue }
            if best < 0 || head.timestamp.lexicographicallyPrecedes(heads[best]!.timestamp) { best = i }
        }
        guard best >= 0 else { return nil }
        let entry = Entry(service: cursors[best].service, record: heads[best]!)
        heads[best] = nextAdmitted(cursors[best])
        return entry
    }

    /// The next records of the first pass (at most `limit`); empty when it is over.
    public func nextBatch(limit: Int = 512) -> [Entry] {
        if let tail {
            guard !tailDone else { return [] }
            tailDone = true
            guard tail > 0 else {
                while nextMerged() != nil {}
                return []
            }
            var ring: [Entry] = []
            var start = 0
            while let entry = nextMerged() {
                if ring.count < tail {
                    ring.append(entry)
                } else {
                    ring[start] = entry
                    start = (start + 1) % tail
                }
            }
            return Array(ring[start...] + ring[..<start])
        }
        var batch: [Entry] = []
        while batch.count < limit, let entry = nextMerged() { batch.append(entry) }
        return batch
    }

    /// Records appended since the last call (call after the first pass), in timestamp order;
    /// across rotation. A service whose file appears later is added when all were asked for.
    public func follow() -> [Entry] {
        var out: [Entry] = []
        if allServices {
            let known = Set(cursors.map(\.service))
            for service in LogFileSet.services(in: directory) where !known.contains(service) {
                let cursor = LogFileCursor(service: service, directory: directory)
                while let record = cursor.next() { out.append(Entry(service: service, record: record)) }
                cursors.append(cursor)
                heads.append(nil)
            }
        }
        for cursor in cursors { out += cursor.follow().map { Entry(service: cursor.service, record: $0) } }
        return out.sorted { $0.record.timestamp.lexicographicallyPrecedes($1.record.timestamp) }
    }
}
