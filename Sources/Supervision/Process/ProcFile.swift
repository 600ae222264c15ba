#if canImport(Glibc)
    import Glibc
#endif

/// Reading `/proc` files whole, with plain `read(2)`: what the daemon's periodic scans use
/// (the reaper's `/proc/PID/stat` and `task/*/children`, the store's `/proc/self/mountinfo`,
/// the code release's `/proc/self/maps` and `smaps_rollup`).
public enum ProcFile {
    /// The whole file, read with `read(2)` until it returns 0, at most `limit` bytes (a larger
    /// file is cut there); `nil` if it cannot be opened or read.
    ///
    /// Why not Foundation: a `/proc` file is a seq_file, whose each `read(2)` returns at most a
    /// page of whole lines, and `String(contentsOfFile:)` and `FileManager.contents(atPath:)`
    /// stop after the first short read (measured on `/proc/self/mountinfo`: 3,977 of 9,993
    /// bytes; under the hardened unit the state root's read-write bind mount is listed past the
    /// first page, so reading only that page reported it read-only). It also makes no strings.
    ///
    /// - Parameters:
    ///   - path: the file, e.g. `/proc/self/mountinfo`.
    ///   - limit: the most bytes read; default 16 MiB.
    public static func readToEnd(_ path: String, limit: Int = 16 << 20) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16 << 10)
        while bytes.count < limit {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, min($0.count, limit - bytes.count)) }
            if n == 0 { break }
            if n < 0 {
                if errno == EINTR { continue }
                return nil
            }
            bytes += chunk[..<n]
        }
        return bytes
    }
}
