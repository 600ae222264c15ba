import Foundation

/// Reads a log file's records from its end backwards, in 64 KiB blocks: how the streamer
/// finds where a container's stream stopped without reading whole files.
public enum LogFileScanner {
    /// Calls `visit` with each record of the file at `path`, last first, until it returns
    /// `false`. Lines that are not records (a line cut by a crash) are skipped.
    public static func scanBackward(_ path: String, _ visit: (LogRecord) -> Bool) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return }
        defer { close(fd) }
        var end = Int(lseek(fd, 0, SEEK_END))
        guard end > 0 else { return }
        let block = 64 * 1024
        var carry: [UInt8] = []  // the start of a line whose beginning is in an earlier block
        while end > 0 {
            let start = max(0, end - block)
            var chunk = [UInt8](repeating: 0, count: end - start)
            let n = chunk.withUnsafeMutableBytes { pread(fd, $0.baseAddress, end - start, off_t(start)) }
            guard n == end - start else { return }
            chunk += carry
            var lineEnd = chunk.count
            // Lines fully inside: from the last newline backwards.
            while let newline = chunk[..<lineEnd].lastIndex(of: 0x0A) {
                if newline + 1 < lineEnd, let record = LogRecord(line: chunk[(newline + 1)..<lineEnd]) {
                    if !visit(record) { return }
                }
                lineEnd = newline
            }
            carry = Array(chunk[..<lineEnd])
            end = start
        }
        if !carry.isEmpty, let record = LogRecord(line: carry[...]) { _ = visit(record) }
    }
}
