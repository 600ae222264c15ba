import Foundation
import Store
import Supervision

/// The state root's filesystem as `statvfs(3)` sees it: read-only, or nearly full. The
/// `store` child reports it as `degraded` before (or without) a refused write, e.g. while
/// idle, when nothing is being written.
public struct StateDiskCheck: Sendable, Equatable {
    /// Free bytes below which the state disk counts as almost full: 1 MiB (SQLite's rollback
    /// journal of one change needs a few pages; a checkout update, more).
    public static let lowSpaceBytes: Int64 = 1 << 20

    /// The state root (or any path on its filesystem).
    public var path: String
    /// `ST_RDONLY` is set.
    public var readOnly: Bool
    /// Bytes an unprivileged writer may still use (`f_bavail × f_frsize`).
    public var freeBytes: Int64
    /// The filesystem's size in bytes (`f_blocks × f_frsize`).
    public var totalBytes: Int64

    /// A check with the given values (tests build them directly).
    public init(path: String, readOnly: Bool, freeBytes: Int64, totalBytes: Int64) {
        self.path = path
        self.readOnly = readOnly
        self.freeBytes = freeBytes
        self.totalBytes = totalBytes
    }

    /// `statvfs(path)`, and the mount's options in `/proc/self/mountinfo`
    /// (``readOnlyInMountInfo(_:mountInfo:)``); `nil` if `statvfs` fails (the path is gone:
    /// the store's own errors say more).
    public static func measure(_ path: String) -> StateDiskCheck? {
        var info = statvfs()
        guard statvfs(path, &info) == 0 else { return nil }
        let unit = Int64(info.f_frsize)
        let mountInfo = ProcFile.readToEnd("/proc/self/mountinfo").map { String(decoding: $0, as: UTF8.self) } ?? ""
        let resolved = URL(fileURLWithPath: path).resolvingSymlinksInPath().path
        return StateDiskCheck(
            path: path,
            readOnly: info.f_flag & UInt(ST_RDONLY) != 0 || readOnlyInMountInfo(resolved, mountInfo: mountInfo),
            freeBytes: Int64(info.f_bavail) * unit, totalBytes: Int64(info.f_blocks) * unit)
    }

    /// Whether the mount that holds `path` (the last line of `mountInfo` whose mount point is
    /// `path` or one of its parents) is read-only: `ro` in its mount options, or `ro` or
    /// `emergency_ro` in its superblock options (proc(5), `/proc/PID/mountinfo`). Since Linux
    /// 6.x ext4 marks a filesystem it stopped writing after an error (`errors=remount-ro`) as
    /// `emergency_ro` without setting `ST_RDONLY`, so `statvfs` alone does not tell.
    public static func readOnlyInMountInfo(_ path: String, mountInfo: String) -> Bool {
        var found: (point: String, readOnly: Bool)?
        for line in mountInfo.split(separator: "\n") {
            // The mount point (5th field) first, without copying: most lines are other mounts
            // (a Docker host has hundreds) and end here. Read every few seconds by the `store` child.
            let head = line.split(separator: " ", maxSplits: 5)
            guard head.count == 6, head[4].contains("\\") || Self.mayHold(head[4], path) else { continue }
            let fields = line.split(separator: " ").map(String.init)
            guard fields.count >= 10, let dash = fields.firstIndex(of: "-"), dash + 3 < fields.count else { continue }
            let point = unescape(fields[4])
            guard path == point || point == "/" || path.hasPrefix(point + "/") else { continue }
            guard point.count >= (found?.point.count ?? 0) else { continue }
            let options = fields[5].split(separator: ",")
            let superOptions = fields[dash + 3].split(separator: ",")
            found = (point, options.contains("ro") || superOptions.contains("ro") || superOptions.contains("emergency_ro"))
        }
        return found?.readOnly ?? false
    }

    /// Whether the (unescaped) mount point `point` can be `path` or one of its parents.
    private static func mayHold(_ point: Substring, _ path: String) -> Bool {
        if point == "/" { return true }
        guard path.utf8.starts(with: point.utf8) else { return false }
        let rest = path.utf8.dropFirst(point.utf8.count)
        return rest.isEmpty || rest.first == UInt8(ascii: "/")
    }

    /// Undoes mountinfo's octal escapes (`\040` for a space).
    private static func unescape(_ field: String) -> String {
        guard field.contains("\\") else { return field }
        var bytes: [UInt8] = []
        var utf8 = Array(field.utf8)[...]
        while let byte = utf8.popFirst() {
            if byte == UInt8(ascii: "\\"), utf8.count >= 3, let value = UInt8(String(decoding: utf8.prefix(3), as: UTF8.self), radix: 8) {
                bytes.append(value)
                utf8 = utf8.dropFirst(3)
            } else {
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Less than ``lowSpaceBytes`` free on a filesystem with a size (a pseudo filesystem,
    /// of zero size, never is). While so, the store refuses every commit
    /// (``Store/StorageFaults/lowSpace``).
    public var isAlmostFull: Bool { totalBytes > 0 && freeBytes < Self.lowSpaceBytes }

    /// The problem to report, `nil` when there is none: read-only, or less than
    /// ``lowSpaceBytes`` free (a filesystem of zero size, such as a pseudo filesystem, never is).
    public var problem: String? {
        if readOnly {
            return
                "state filesystem read-only: \(path) (EROFS): nothing new can be recorded until it is writable again; the workloads keep running"
        }
        if isAlmostFull {
            return
                "state disk full: \(path) (ENOSPC: \(Self.bytes(freeBytes)) free of \(Self.bytes(totalBytes)), less than \(Self.bytes(Self.lowSpaceBytes))): free space there; the workloads keep running"
        }
        return nil
    }

    /// `812 KiB`, `3 MiB`, `0 B`.
    static func bytes(_ n: Int64) -> String {
        switch n {
        case ..<1024: return "\(n) B"
        case ..<(1 << 20): return "\(n >> 10) KiB"
        case ..<(1 << 30): return "\(n >> 20) MiB"
        default: return "\(n >> 30) GiB"
        }
    }
}
