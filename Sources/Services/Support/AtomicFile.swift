import Docker
import Foundation

/// Replacing a small file so that readers see the old or the new content, never a part, even
/// after a power cut: write a temp file in the same directory, fsync it, `rename(2)` it over
/// the target, fsync the directory (so the rename itself is on disk).
public enum AtomicFile {
    /// Writes `data` to `path` with `mode`.
    ///
    /// - Throws: ``ServiceError/fileWriteFailed(path:reason:)`` naming the path and errno text.
    public static func write(_ data: Data, to path: String, mode: mode_t) throws {
        let directory = FileSync.parent(of: path)
        let temp = "\(directory)/\(temporaryName(for: (path as NSString).lastPathComponent))"
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
        let code = FileSync.directory(directory)
        guard code == 0 else { throw ServiceError.fileWriteFailed(path: directory, reason: "fsync: " + String(cString: strerror(code))) }
    }

    /// Removes `path` and fsyncs its directory, so the removal survives a power cut (a
    /// `sync-in-progress` marker that came back would restore an older checkout). A missing
    /// file is not an error.
    ///
    /// - Throws: ``ServiceError/fileWriteFailed(path:reason:)``.
    public static func remove(_ path: String) throws {
        guard unlink(path) == 0 || errno == ENOENT else {
            throw ServiceError.fileWriteFailed(path: path, reason: String(cString: strerror(errno)))
        }
        let directory = FileSync.parent(of: path)
        let code = FileSync.directory(directory)
        guard code == 0 else { throw ServiceError.fileWriteFailed(path: directory, reason: "fsync: " + String(cString: strerror(code))) }
    }

    /// `.<name>.<pid>.<random>.tmp`: the temporary sibling of a file being written (by this
    /// type and by Store's `SecretFile`).
    static func temporaryName(for name: String) -> String {
        ".\(name).\(getpid()).\(UInt32.random(in: 0 ... .max)).tmp"
    }

    /// Whether `name` is a temporary sibling left by a writer that is gone: the form of
    /// ``temporaryName(for:)`` with the pid of a process that no longer exists (a daemon killed
    /// between creating and renaming it).
    public static func isStaleTemporary(_ name: String) -> Bool {
        guard name.hasPrefix("."), name.hasSuffix(".tmp") else { return false }
        let parts = name.dropFirst().dropLast(4).split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count >= 3, let pid = pid_t(parts[parts.count - 2]), pid > 0, UInt32(parts[parts.count - 1]) != nil else {
            return false
        }
        return kill(pid, 0) != 0 && errno == ESRCH
    }
}
