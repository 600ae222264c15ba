import Foundation

/// Reads one service's log records forward: first its rotated files (oldest first), then its
/// current file up to the size it had when the cursor was made; ``follow()`` then returns what
/// was appended since, and carries on across rotation (the open file is read to its end
/// before the new `<service>.log` is opened).
public final class LogFileCursor {
    /// The service.
    public let service: String
    private let directory: String
    private var pendingFiles: [String]
    private var fd: Int32 = -1
    private var inode: UInt64 = 0
    private var limit: Int = Int.max  // of the current file, for the first pass
    private var offset = 0
    private var carry: [UInt8] = []
    private var buffer: [LogRecord] = []
    private var index = 0
    private var onCurrent = false

    /// A cursor at the start of `service`'s oldest file in `directory`.
    public init(service: String, directory: String) {
        self.service = service
        self.directory = directory
        var files = LogFileSet.files(of: service, in: directory)
        let current = "\(directory)/\(service).log"
        files.removeAll { $0 == current }
        pendingFiles = files
        // The current file is opened now, so its size at this instant bounds the first pass.
        openCurrent(bounded: true)
    }

    deinit { if fd >= 0 { close(fd) } }

    private func openCurrent(bounded: Bool) {
        let path = "\(directory)/\(service).log"
        let opened = open(path, O_RDONLY | O_CLOEXEC)
        guard opened >= 0 else { return }
        var info = stat()
        fstat(opened, &info)
        if fd >= 0 { close(fd) }
        fd = opened
        inode = UInt64(info.st_ino)
        offset = 0
        carry = []
        limit = bounded ? Int(info.st_size) : Int.max
    }

    /// The next record of the first pass (rotated files, then the current file as it was);
    /// `nil` at its end.
    public func next() -> LogRecord? {
        while true {
            if index < buffer.count {
                defer { index += 1 }
                return buffer[index]
            }
            buffer.removeAll(keepingCapacity: true)
            index = 0
            if !pendingFiles.isEmpty {
                if !readRotatedChunk() { pendingFiles.removeFirst() }
                continue
            }
            guard fd >= 0, offset < limit else {
                onCurrent = true
                limit = Int.max
                return nil
            }
            _ = readChunk(from: fd, upTo: limit)
            if buffer.isEmpty, offset >= limit {
                onCurrent = true
                limit = Int.max
                return nil
            }
        }
    }

    private var rotatedFD: Int32 = -1
    private var rotatedOffset = 0

    private func readRotatedChunk() -> Bool {
        if rotatedFD < 0 {
            rotatedFD = open(pendingFiles[0], O_RDONLY | O_CLOEXEC)
            rotatedOffset = 0
            carry = []
            if rotatedFD < 0 { return false }
        }
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        let n = chunk.withUnsafeMutableBytes { pread(rotatedFD, $0.baseAddress, $0.count, off_t(rotatedOffset)) }
        guard n > 0 else {
            close(rotatedFD)
            rotatedFD = -1
            carry = []
            return false
        }
        rotatedOffset += n
        parse(chunk[..<n])
        return true
    }

    @discardableResult
    private func readChunk(from fd: Int32, upTo limit: Int) -> Int {
        let want = min(64 * 1024, limit - offset)
        guard want > 0 else { return 0 }
        var chunk = [UInt8](repeating: 0, count: want)
        let n = chunk.withUnsafeMutableBytes { pread(fd, $0.baseAddress, want, off_t(offset)) }
        guard n > 0 else { return 0 }
        offset += n
        parse(chunk[..<n])
        return n
    }

    private func parse(_ chunk: ArraySlice<UInt8>) {
        var data = carry
        data.append(contentsOf: chunk)
        var start = 0
        while let newline = data[start...].firstIndex(of: 0x0A) {
            if let record = LogRecord(line: data[start..<newline]) { buffer.append(record) }
            start = newline + 1
        }
        carry = Array(data[start...])
    }

    /// The records of the rotated files that follow the one with inode `previous` (found
    /// by a trial: `-f` skipped whole files when a flood rotated twice between two calls).
    private func readRotated(after previous: UInt64) -> [LogRecord] {
        let rotated = LogFileSet.files(of: service, in: directory).filter { !$0.hasSuffix(".log") }
        guard
            let index = rotated.firstIndex(where: { path in
                var info = stat()
                return stat(path, &info) == 0 && UInt64(info.st_ino) == previous
            })
        else { return [] }  // deleted by the cap meanwhile: those lines are gone
        var out: [LogRecord] = []
        for path in rotated[(index + 1)...] {
            let reader = LogFileCursor(file: path, service: service)
            while let record = reader.next() { out.append(record) }
        }
        return out
    }

    /// A cursor over one file only (a rotated one, read whole).
    private init(file: String, service: String) {
        self.service = service
        directory = ""
        pendingFiles = [file]
        onCurrent = true
    }

    /// Records appended since the last call (after the first pass); across rotation, the old
    /// file is read to its end first.
    public func follow() -> [LogRecord] {
        guard onCurrent else { return [] }
        var out: [LogRecord] = []
        while true {
            if fd >= 0 {
                while readChunk(from: fd, upTo: Int.max) > 0 {
                    out += buffer
                    buffer.removeAll(keepingCapacity: true)
                }
            }
            var info = stat()
            let path = "\(directory)/\(service).log"
            guard stat(path, &info) == 0 else { return out }
            if fd < 0 || UInt64(info.st_ino) != inode {
                // Rotated, maybe more than once since the last call: the files rotated after
                // the one just read to its end come first, whole, then the new current file.
                if fd >= 0 { out += readRotated(after: inode) }
                openCurrent(bounded: false)
                continue
            }
            if Int(info.st_size) < offset { openCurrent(bounded: false) }  // truncated by hand
            return out
        }
    }
}
