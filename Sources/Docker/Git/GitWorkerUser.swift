import Foundation

/// The user a git worker container runs as: the daemon's own uid, gid and supplementary
/// groups, so that the checkout, `known_hosts` and the agent socket are the daemon's files
/// (a daemon that is not root can update and delete what its workers wrote, and a worker can
/// reach the 0600 agent socket without root's permission override).
///
/// OpenSSH's client refuses to run for a uid without a passwd(5) entry ("No user exists for
/// uid N", `ssh.c`), and worker images only know root: ``passwdFile`` (written by the daemon,
/// see ``passwdText(uid:gid:name:)``) is mounted read-only at `/etc/passwd` in the worker.
public struct GitWorkerUser: Sendable, Equatable {
    /// User id the worker's processes run as.
    public var uid: UInt32
    /// Primary group id.
    public var gid: UInt32
    /// Supplementary group ids (Docker's `GroupAdd`), e.g. a group that may read a local
    /// repository.
    public var groups: [UInt32]
    /// Host path of the passwd(5) file mounted read-only at `/etc/passwd` in the worker.
    public var passwdFile: String

    /// A worker user (see the properties).
    public init(uid: UInt32, gid: UInt32, groups: [UInt32] = [], passwdFile: String) {
        self.uid = uid
        self.gid = gid
        self.groups = groups
        self.passwdFile = passwdFile
    }

    /// Docker's `User` field: `uid:gid` (numeric, so the image's own user database is not needed).
    public var dockerUser: String { "\(uid):\(gid)" }

    /// The bind of ``passwdFile`` over the worker's `/etc/passwd` (read-only).
    public var passwdBind: String { "\(passwdFile):/etc/passwd:ro" }

    /// The calling process's uid, gid and supplementary groups (without its primary group),
    /// with `passwdFile` as given; `nil` for root (a worker runs as the image's user, root).
    public static func current(passwdFile: String) -> GitWorkerUser? {
        let uid = getuid()
        guard uid != 0 else { return nil }
        let gid = getgid()
        var groups: [gid_t] = []
        let count = getgroups(0, nil)
        if count > 0 {
            groups = [gid_t](repeating: 0, count: Int(count))
            let got = getgroups(count, &groups)
            groups = got > 0 ? Array(groups.prefix(Int(got))) : []
        }
        return GitWorkerUser(
            uid: uid, gid: gid, groups: Array(Set(groups.filter { $0 != gid })).sorted(), passwdFile: passwdFile)
    }

    /// The name of the calling process's user from the system's passwd database, or
    /// `stevedore` when it has none or the name would not fit a passwd line.
    public static func currentUserName() -> String {
        guard let entry = getpwuid(getuid()), let name = String(validatingCString: entry.pointee.pw_name),
            !name.isEmpty, !name.contains(":"), !name.contains("\n")
        else { return "stevedore" }
        return name
    }

    /// The passwd(5) text of a worker: `root` and the worker's user, home `/tmp` (the worker's
    /// `HOME`), shell `/bin/sh`.
    ///
    /// - Parameter name: the user's login name; `:` and newlines are replaced by `_`.
    public static func passwdText(uid: UInt32, gid: UInt32, name: String) -> String {
        let safe = String(name.map { $0 == ":" || $0 == "\n" ? "_" : $0 })
        return "root:x:0:0:root:/root:/bin/sh\n\(safe.isEmpty ? "stevedore" : safe):x:\(uid):\(gid):stevedore git worker:/tmp:/bin/sh\n"
    }
}
