import Foundation

/// Replacing a small file so that readers see the old or the new content, never a part:
/// write a temp file in the same directory, fsync it, `rename(2)` it over the target.
public enum AtomicFile {
    /// Writes `data` to `path` with `mode`.
    ///
    /// - Throws: ``ServiceError/fileWriteFailed(path:reason:)`` naming the path and errno text.
    public static func write(_ data: Data, to path: String, mode: mode_t) throws {
        let directory = (path as NSString).deletingLastPathComponent
        let temp = "\(directory)/.\((path as NSString).lastPathComponent).\(getpid()).\(UInt32.random(in: 0 ... .max)).tmp"
        let fd = open(temp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
        guard fd >= 0 else { throw ServiceError.fileWriteFailed(path: temp, reason: String(cString: strerror(errno))) }
        var renamed = false
        defer { if !renamed { unlink(temp) } }
        let ok = data.withUnsafeBytes { raw -> Bool in
            var offset = 0
            while offset < raw.count {
                let n = Glibc.write(fd, raw.baseAddress! + offset, raw.count - offset)
                if n <= 0 { return false }
                offset += n
            }
            return fchmod(fd, mode) == 0 && fsync(fd) == 0
        }
        close(fd)
        guard ok else { throw ServiceError.fileWriteFailed(path: temp, reason: String(cString: strerror(errno))) }
        guard rename(temp, path) == 0 else { throw ServiceError.fileWriteFailed(path: path, reason: String(cString: strerror(errno))) }
        renamed = true
    }
}
