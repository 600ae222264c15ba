import Foundation

/// Writing small secret files (keys) safely: mode 0600 from the first byte, complete or absent,
/// also after a power cut.
public enum SecretFile {
    /// Creates `path` with `contents` and mode 0600 unless it already exists.
    ///
    /// Writes a temp file in the same directory, fsyncs it, then `link(2)`s it into place,
    /// which fails rather than overwrite: a concurrent creator wins and its file is kept. The
    /// directory is fsynced after the link and the temp file's removal, so the key is on disk
    /// before anything is encrypted with it.
    ///
    /// - Returns: `true` if this call created the file, `false` if it already existed.
    /// - Throws: ``StoreError/io(_:)`` naming the path and errno text.
    @discardableResult
    public static func createExclusive(path: String, contents: Data) throws -> Bool {
        let directory = (path as NSString).deletingLastPathComponent
        let temp = "\(directory)/.\((path as NSString).lastPathComponent).\(getpid()).\(UInt32.random(in: 0 ... .max)).tmp"
        let fd = open(temp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw StoreError.io("cannot create \(temp): \(String(cString: strerror(errno)))") }
        defer { unlink(temp) }
        let ok = contents.withUnsafeBytes { raw -> Bool in
            var offset = 0
            while offset < raw.count {
                let n = write(fd, raw.baseAddress! + offset, raw.count - offset)
                if n <= 0 { return false }
                offset += n
            }
            return fsync(fd) == 0
        }
        close(fd)
        guard ok else { throw StoreError.io("cannot write \(temp): \(String(cString: strerror(errno)))") }
        if link(temp, path) != 0 {
            if errno == EEXIST { return false }
            throw StoreError.io("cannot create \(path): \(String(cString: strerror(errno)))")
        }
        unlink(temp)
        let dirFD = open(directory.isEmpty ? "." : directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard dirFD >= 0, fsync(dirFD) == 0 else {
            let code = errno
            if dirFD >= 0 { close(dirFD) }
            throw StoreError.io("cannot fsync \(directory): \(String(cString: strerror(code)))")
        }
        close(dirFD)
        return true
    }
}
