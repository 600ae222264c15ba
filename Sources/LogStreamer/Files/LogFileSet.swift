import Docker
import Foundation

/// One deployment's log directory as the streamer writes it: `<service>.log` per service,
/// rotated files `<service>.log.<N>` (`N` counts up across the deployment, so the lowest is
/// the oldest), and `.positions` (the last timestamp written per container, kept for
/// containers whose lines were all deleted by the cap). See ``LogLimits`` for rotation.
///
/// Not thread-safe: one owner (the streamer's per-deployment write queue) calls it.
public final class LogFileSet: @unchecked Sendable {
    /// The directory, `deployments/<name>/logs`.
    public let directory: String
    /// Limits in force (may be changed between writes).
    public var limits: LogLimits

    private struct Current {
        var fd: Int32 = -1
        var size = 0
        /// The file does not end in a newline (a write cut short): one is written first.
        var needsNewline = false
    }
    private struct Rotated {
        var sequence: Int
        var service: String
        var size: Int
    }
    private var current: [String: Current] = [:]
    private var rotated: [Rotated] = []
    private var nextSequence = 1
    private var pending: [UInt8] = []
    private var positions: [String: [UInt8]] = [:]
    private var positionsDirty = false

    /// Bytes of all files now.
    public private(set) var totalBytes = 0

    /// Opens (and creates) the directory and reads the sizes of the files in it.
    ///
    /// - Throws: ``LogWriteError`` when the directory cannot be created or read.
    public init(directory: String, limits: LogLimits) throws {
        self.directory = directory
        self.limits = limits
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            let underlying = (error as NSError).userInfo[NSUnderlyingErrorKey] as? NSError
            throw LogWriteError(path: directory, operation: "create", code: Int32(underlying?.code ?? Int(EIO)))
        }
        for name in (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [] {
            guard let parsed = Self.parseName(name) else { continue }
            let size = Self.fileSize(directory + "/" + name)
            totalBytes += size
            if let sequence = parsed.sequence {
                rotated.append(Rotated(sequence: sequence, service: parsed.service, size: size))
                nextSequence = max(nextSequence, sequence + 1)
            } else {
                var entry = Current()
                entry.size = size
                entry.needsNewline = size > 0 && Self.lastByte(directory + "/" + name) != 0x0A
                current[parsed.service] = entry
            }
        }
        rotated.sort { $0.sequence < $1.sequence }
        positions = Self.readPositions(directory + "/.positions")
    }

    deinit {
        for entry in current.values where entry.fd >= 0 { close(entry.fd) }
    }

    /// `(service, sequence)` of a log file name: `web.log` → (web, nil), `web.log.12` → (web, 12).
    static func parseName(_ name: String) -> (service: String, sequence: Int?)? {
        guard !name.hasPrefix(".") else { return nil }
        if name.hasSuffix(".log") { return (String(name.dropLast(4)), nil) }
        guard let dot = name.lastIndex(of: "."), let sequence = Int(name[name.index(after: dot)...]), sequence > 0 else { return nil }
        let stem = name[..<dot]
        guard stem.hasSuffix(".log") else { return nil }
        return (String(stem.dropLast(4)), sequence)
    }

    /// The current file of `service`.
    public func path(of service: String) -> String { "\(directory)/\(service).log" }

    /// The files of `service`, oldest first (rotated by sequence, then the current one).
    public static func files(of service: String, in directory: String) -> [String] {
        var found: [(Int, String)] = []
        for name in (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [] {
            guard let parsed = parseName(name), parsed.service == service else { continue }
            found.append((parsed.sequence ?? Int.max, directory + "/" + name))
        }
        return found.sorted { $0.0 < $1.0 }.map(\.1)
    }

    /// The services that have files in `directory`, sorted.
    public static func services(in directory: String) -> [String] {
        var names = Set<String>()
        for name in (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [] {
            if let parsed = parseName(name) { names.insert(parsed.service) }
        }
        return names.sorted()
    }

    /// Appends `records` to `service`'s file, rotating and deleting so that the deployment's
    /// files stay within ``limits``; one `write(2)` per rotation segment.
    ///
    /// - Throws: ``LogWriteError``: what was written before the error stays (the caller
    ///   resumes from the file, so nothing is lost or written twice).
    public func write(service: String, records: [LogRecord]) throws {
        pending.removeAll(keepingCapacity: true)
        for record in records {
            let length = record.lineLength
            let size = (current[service]?.size ?? 0) + pending.count
            if size > 0, size + length > limits.fileBytes {
                try flush(service)
                try rotate(service)
            }
            while totalBytes + pending.count + length > limits.maximumBytes {
                try flush(service)
                if !(try deleteOldest()) { break }
            }
            record.append(to: &pending)
        }
        try flush(service)
        // The last timestamp per container: one dictionary update per run of a container's
        // records (a batch is almost always one container's), not per record.
        var index = records.count - 1
        var seen: [String] = []
        while index >= 0 {
            let container = records[index].container
            if !seen.contains(container) {
                positions[container] = records[index].timestamp
                seen.append(container)
            }
            while index >= 0, records[index].container == container { index -= 1 }
        }
        positionsDirty = true
    }

    private func flush(_ service: String) throws {
        guard !pending.isEmpty else { return }
        var entry = current[service] ?? Current()
        if entry.fd < 0 {
            let path = path(of: service)
            let fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o640)
            guard fd >= 0 else { throw LogWriteError(path: path, operation: "open", code: errno) }
            entry.fd = fd
        }
        defer { current[service] = entry }
        if entry.needsNewline {
            var newline: UInt8 = 0x0A
            guard Foundation.write(entry.fd, &newline, 1) == 1 else {
                throw LogWriteError(path: path(of: service), operation: "write", code: errno)
            }
            entry.needsNewline = false
            entry.size += 1
            totalBytes += 1
        }
        var offset = 0
        let count = pending.count
        let failure: Int32? = pending.withUnsafeBytes { raw -> Int32? in
            while offset < count {
                let n = Foundation.write(entry.fd, raw.baseAddress! + offset, count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    return errno
                }
                offset += n
            }
            return nil
        }
        entry.size += offset
        totalBytes += offset
        pending.removeAll(keepingCapacity: true)
        if let failure {
            entry.needsNewline = offset > 0 || entry.size > 0
            throw LogWriteError(path: path(of: service), operation: "write", code: failure)
        }
    }

    private func rotate(_ service: String) throws {
        var entry = current[service] ?? Current()
        if entry.fd >= 0 {
            // A rotated file is complete on disk before it is renamed (it is never written again).
            fdatasync(entry.fd)
            close(entry.fd)
        }
        entry.fd = -1
        let from = path(of: service)
        let to = "\(from).\(nextSequence)"
        guard rename(from, to) == 0 else {
            current[service] = entry
            throw LogWriteError(path: from, operation: "rename", code: errno)
        }
        FileSync.directory(directory)
        rotated.append(Rotated(sequence: nextSequence, service: service, size: entry.size))
        nextSequence += 1
        entry.size = 0
        entry.needsNewline = false
        current[service] = entry
        try savePositions()
    }

    /// Deletes the oldest rotated file; with none, rotates the largest current file first
    /// (the one being written when all are empty). `false` when there is nothing to delete.
    private func deleteOldest() throws -> Bool {
        if rotated.isEmpty {
            guard let largest = current.filter({ $0.value.size > 0 }).max(by: { $0.value.size < $1.value.size })?.key else { return false }
            try rotate(largest)
        }
        let oldest = rotated.removeFirst()
        let path = "\(directory)/\(oldest.service).log.\(oldest.sequence)"
        if unlink(path) != 0, errno != ENOENT {
            rotated.insert(oldest, at: 0)
            throw LogWriteError(path: path, operation: "delete", code: errno)
        }
        totalBytes -= oldest.size
        return true
    }

    /// The last timestamp written for each container (from the records written through
    /// this set and the `.positions` file).
    public func lastPosition(of container: String) -> [UInt8]? { positions[String(container.prefix(12))] }

    /// Writes `.positions` if records were written since the last save (never half-written,
    /// see ``savePositions()``).
    public func savePositionsIfChanged() {
        guard positionsDirty else { return }
        try? savePositions()
    }

    /// Writes `.positions` so that a power cut leaves the old or the new file, and never one
    /// that claims lines the log files lost: the open log files are fdatasynced first (a
    /// position is only ever written for lines already on disk), then a temporary file is
    /// written, fsynced, renamed over `.positions`, and the directory fsynced.
    private func savePositions() throws {
        positionsDirty = false
        for (service, entry) in current where entry.fd >= 0 {
            guard fdatasync(entry.fd) == 0 else {
                positionsDirty = true
                throw LogWriteError(path: path(of: service), operation: "sync", code: errno)
            }
        }
        var text = ""
        for (container, stamp) in positions.sorted(by: { $0.key < $1.key }) {
            text += "\(container) \(String(decoding: stamp, as: UTF8.self))\n"
        }
        let path = directory + "/.positions"
        let temporary = path + ".tmp"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o640)
        guard fd >= 0 else { throw LogWriteError(path: temporary, operation: "open", code: errno) }
        let bytes = Array(text.utf8)
        let written = bytes.withUnsafeBytes { Foundation.write(fd, $0.baseAddress, $0.count) }
        let writeError = errno
        let complete = written == bytes.count
        let synced = complete && fsync(fd) == 0
        let syncError = errno
        close(fd)
        guard synced else {
            unlink(temporary)
            positionsDirty = true
            throw LogWriteError(path: temporary, operation: complete ? "sync" : "write", code: complete ? syncError : writeError)
        }
        guard rename(temporary, path) == 0 else { throw LogWriteError(path: path, operation: "rename", code: errno) }
        FileSync.directory(directory)
    }

    static func readPositions(_ path: String) -> [String: [UInt8]] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return [:] }
        var result: [String: [UInt8]] = [:]
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: " ")
            guard parts.count == 2, parts[0].utf8.count == 12, let stamp = LogTimestamp.canonicalBytes(Array(parts[1].utf8)[...]) else {
                continue
            }
            result[String(parts[0])] = stamp
        }
        return result
    }

    static func fileSize(_ path: String) -> Int {
        var info = stat()
        return stat(path, &info) == 0 ? Int(info.st_size) : 0
    }

    static func lastByte(_ path: String) -> UInt8? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var byte: UInt8 = 0
        guard lseek(fd, -1, SEEK_END) >= 0, read(fd, &byte, 1) == 1 else { return nil }
        return byte
    }
}
