import Foundation

extension SSHKnownHosts {
    /// The most bytes read from a `known_hosts` file (a file of 10,000 keys is about 1 MB).
    public static let maxFileSize = 4 << 20

    /// The entries of the file at `path`; a missing file has none.
    ///
    /// - Throws: ``GitError/commandFailed(_:)`` naming the path when it exists but cannot be
    ///   read, or is larger than ``maxFileSize``.
    public static func read(path: String) throws -> SSHKnownHosts {
        SSHKnownHosts(contents: try contents(of: path) ?? [])
    }

    /// Trust on first use, as OpenSSH's `accept-new` does: when the file (read again now) does
    /// not name the host, appends ``line(host:port:keyType:key:)`` and returns
    /// ``Verdict/unknown``; otherwise returns the file's verdict and changes nothing. The
    /// append replaces the file atomically (a temporary sibling `.known_hosts.<pid>.<random>.tmp`
    /// written, fsynced and renamed over it, then the directory fsynced), so a power cut
    /// leaves the old file or the new one, never a part. The file keeps its mode (0644 when
    /// new); a file without a final newline gets one before the new line.
    ///
    /// - Throws: ``GitError/commandFailed(_:)`` naming the path and the system's reason when
    ///   the file cannot be read or written.
    public static func trust(host: String, port: Int, keyType: String, key: [UInt8], path: String) throws -> Verdict {
        let old = try contents(of: path)
        let verdict = SSHKnownHosts(contents: old ?? []).verdict(host: host, port: port, keyType: keyType, key: key)
        guard verdict == .unknown else { return verdict }
        var bytes = old ?? []
        if let last = bytes.last, last != 0x0A { bytes.append(0x0A) }
        bytes += Array(line(host: host, port: port, keyType: keyType, key: key).utf8)
        var mode: mode_t = 0o644
        var info = stat()
        if stat(path, &info) == 0 { mode = info.st_mode & 0o7777 }
        try replace(path, with: bytes, mode: mode)
        return .unknown
    }

    /// The bytes of `path`, `nil` when it does not exist.
    static func contents(of path: String) throws -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            if errno == ENOENT { return nil }
            throw failure(path, "cannot be read")
        }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16 << 10)
        while true {
            let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n < 0, errno == EINTR { continue }
            guard n >= 0 else { throw failure(path, "cannot be read") }
            if n == 0 { return bytes }
            guard bytes.count + n <= maxFileSize else {
                throw GitError.commandFailed("\(path) is larger than \(maxFileSize) bytes: not a known_hosts file this check reads")
            }
            bytes += chunk[..<n]
        }
    }

    /// temp + fsync + rename + directory fsync.
    static func replace(_ path: String, with bytes: [UInt8], mode: mode_t) throws {
        let directory = FileSync.parent(of: path)
        let name = (path as NSString).lastPathComponent
        let temp = "\(directory)/.\(name).\(getpid()).\(UInt32.random(in: 0 ... .max)).tmp"
        let fd = open(temp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
        guard fd >= 0 else { throw failure(temp, "cannot be created") }
        var renamed = false
        defer { if !renamed { unlink(temp) } }
        let written = bytes.withUnsafeBytes { raw -> Bool in
            var offset = 0
            while offset < raw.count {
                let n = Glibc.write(fd, raw.baseAddress.map { $0 + offset }, raw.count - offset)
                if n < 0, errno == EINTR { continue }
                guard n > 0 else { return false }
                offset += n
            }
            return fchmod(fd, mode) == 0 && fsync(fd) == 0
        }
        let reason = errno
        close(fd)
        guard written else {
            errno = reason
            throw failure(temp, "cannot be written")
        }
        guard rename(temp, path) == 0 else { throw failure(path, "cannot be replaced") }
        renamed = true
        let code = FileSync.directory(directory)
        guard code == 0 else {
            errno = code
            throw failure(directory, "cannot be synced")
        }
    }

    private static func failure(_ path: String, _ what: String) -> GitError {
        GitError.commandFailed("the SSH known hosts file \(path) \(what): \(String(cString: strerror(errno)))")
    }
}
