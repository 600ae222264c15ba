import Foundation

/// An exclusive lock on a state root (`system/daemon.lock`, flock(2)), so that two daemons
/// never poll and deploy the same deployments at once. Held for the process's lifetime; the
/// kernel releases it when the process exits, even after a crash.
public final class StateRootLock: Sendable {
    /// The lock file; it holds the owner's pid for messages.
    public let path: String
    private let fd: Int32

    /// Takes the lock or fails at once.
    ///
    /// - Throws: ``ServiceError/rootLocked(root:pid:)`` naming the holder's pid when another
    ///   process holds it; `POSIXError` if the file cannot be opened.
    public init(root: StateRoot) throws {
        path = root.system + "/daemon.lock"
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let holder = (try? String(contentsOfFile: path, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
            close(fd)
            throw ServiceError.rootLocked(root: root.path, pid: holder.flatMap { Int32($0) })
        }
        ftruncate(fd, 0)
        let pid = "\(getpid())\n"
        _ = pid.withCString { write(fd, $0, strlen($0)) }
        self.fd = fd
    }

    deinit { close(fd) }
}
