import Foundation

/// Making completed writes durable (they survive a power cut, not only a crash of the
/// process), for the writers outside the database: the atomic-replace helpers, the log
/// streamer's files and the Git checkouts.
///
/// A `rename(2)` or `link(2)` is durable only once its directory is fsynced (fsync(2): "calling
/// fsync() does not necessarily ensure that the entry in the directory containing the file has
/// also reached disk. For that an explicit fsync() on a file descriptor for the directory is
/// also needed").
public enum FileSync {
    /// fsyncs the directory `path` (after a rename, link, create or unlink in it).
    ///
    /// - Returns: `0` on success, else the `errno` of `open(2)` or `fsync(2)`.
    @discardableResult
    public static func directory(_ path: String) -> Int32 {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return errno }
        defer { close(fd) }
        return fsync(fd) == 0 ? 0 : errno
    }

    /// The directory part of `path` (`.` for a bare name).
    public static func parent(of path: String) -> String {
        let parent = (path as NSString).deletingLastPathComponent
        return parent.isEmpty ? "." : parent
    }

    /// Flushes every completed write of the filesystem holding `path` (`syncfs(2)`; `sync(2)`
    /// where the C library has no `syncfs`): used after a Git operation, whose files Git does
    /// not all fsync (the work tree, `HEAD`, the index), before the commit is recorded as
    /// synced.
    ///
    /// - Returns: `0` on success, else `errno`.
    @discardableResult
    public static func fileSystem(containing path: String) -> Int32 {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return errno }
        defer { close(fd) }
        guard let syncfs = Self.syncfs else {
            sync()
            return 0
        }
        return syncfs(fd) == 0 ? 0 : errno
    }

    /// glibc's `syncfs` (not exported to Swift by the Glibc module: it needs `_GNU_SOURCE`).
    private static let syncfs: (@convention(c) (Int32) -> Int32)? = {
        // nil: RTLD_DEFAULT, the symbols of the process.
        guard let symbol = dlsym(nil, "syncfs") else { return nil }
        return unsafeBitCast(symbol, to: (@convention(c) (Int32) -> Int32).self)
    }()
}
