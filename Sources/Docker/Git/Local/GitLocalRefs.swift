import Foundation
import Glibc

/// Which commit a branch of a repository on this host is at, read from its files
/// (gitrepository-layout(5), git-pack-refs(1), git-symbolic-ref(1)) with no git process: the
/// answer `git ls-remote PATH refs/heads/BRANCH` gives.
///
/// The repository is bare (`HEAD`, `objects/`, `refs/`), has a `.git` directory, or a `.git`
/// file `gitdir: <path>` (a linked worktree or submodule; its `commondir` file leads to the
/// shared refs). The ref is the loose file `refs/heads/<branch>`, else a line of
/// `packed-refs` (comments `#` and peeled lines `^` skipped). A symbolic ref (`ref:
/// refs/…`) is followed up to ``maxSymrefDepth`` levels, as git does (`SYMREF_MAXDEPTH` 5).
public enum GitLocalRefs {
    /// Levels of symbolic refs followed: 5, git's `SYMREF_MAXDEPTH`.
    public static let maxSymrefDepth = 5
    /// The largest loose ref, `.git` or `commondir` file read: 4 KiB (git writes under 300 bytes).
    public static let maxSmallFile = 4096
    /// The largest `config` read for `extensions.refStorage`: 1 MiB.
    public static let maxConfig = 1 << 20
    /// The default limit on `packed-refs`: 64 MiB (100,000 refs take about 7 MB).
    public static let defaultPackedRefsLimit = 64 << 20

    /// The commit `refs/heads/<branch>` of the repository at `repository` is at (40 or 64
    /// lower-case hex digits).
    ///
    /// - Parameters:
    ///   - repository: the repository's path (absolute; bare, working tree, or `file://`
    ///     stripped by the caller).
    ///   - branch: the branch (`main`).
    ///   - packedRefsLimit: bytes of `packed-refs` read at most (default 64 MiB).
    /// - Throws: ``GitLocalRefsError``: `invalidBranch`, `notARepository`, `branchNotFound`,
    ///   `malformedRef`, `symrefTooDeep`, `fileTooLarge`, `unsupportedRefStorage`,
    ///   `unreadable`.
    public static func head(repository: String, branch: String, packedRefsLimit: Int = defaultPackedRefsLimit) throws -> String {
        guard GitRefName.isValidBranch(branch) else { throw GitLocalRefsError.invalidBranch(branch) }
        let common = try commonDirectory(of: repository)
        if let format = try readFile(common + "/config", limit: maxConfig).flatMap(refStorage(inConfig:)), format != "files" {
            throw GitLocalRefsError.unsupportedRefStorage(path: repository, format: format)
        }
        var ref = "refs/heads/" + branch
        var packed: [UInt8]??
        for _ in 0...maxSymrefDepth {
            let loosePath = common + "/" + ref
            var content = try readSmall(loosePath)
            if content == nil {
                if packed == nil { packed = .some(try readFile(common + "/packed-refs", limit: packedRefsLimit)) }
                content = packed!.flatMap { Self.packedRef(ref, in: $0) }
            }
            guard let content else { throw GitLocalRefsError.branchNotFound(path: repository, branch: branch) }
            let line = content.last == 0x0A ? content.dropLast() : content[...]
            if GitObjectFormat.sha1.isObjectID(line) || GitObjectFormat.sha256.isObjectID(line) {
                return String(decoding: line, as: UTF8.self)
            }
            let target = line.starts(with: "ref: ".utf8) ? String(decoding: line.dropFirst(5), as: UTF8.self) : nil
            guard let target, target.hasPrefix("refs/"), target.utf8.count == line.count - 5,
                GitRefName.isValidBranch(String(target.dropFirst(5)))
            else { throw GitLocalRefsError.malformedRef(path: loosePath, content: String(decoding: line.prefix(64), as: UTF8.self)) }
            ref = target
        }
        throw GitLocalRefsError.symrefTooDeep(path: common + "/refs/heads/" + branch, limit: maxSymrefDepth)
    }

    /// The directory holding the shared refs: the git directory, or where its `commondir`
    /// points.
    static func commonDirectory(of repository: String) throws -> String {
        let dotGit = repository + "/.git"
        var gitDir: String
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: dotGit, isDirectory: &isDirectory) {
            if isDirectory.boolValue {
                gitDir = dotGit
            } else {
                guard let file = try readSmall(dotGit), file.starts(with: "gitdir: ".utf8) else {
                    throw GitLocalRefsError.notARepository(path: repository, reason: ".git is a file without 'gitdir: <path>'")
                }
                let path = String(decoding: file.dropFirst(8), as: UTF8.self).trimmingCharacters(in: .newlines)
                gitDir = path.hasPrefix("/") ? path : repository + "/" + path
            }
        } else {
            gitDir = repository
        }
        guard FileManager.default.fileExists(atPath: gitDir + "/HEAD") else {
            throw GitLocalRefsError.notARepository(path: repository, reason: "no HEAD in \(gitDir)")
        }
        if let common = try readSmall(gitDir + "/commondir") {
            let path = String(decoding: common, as: UTF8.self).trimmingCharacters(in: .newlines)
            gitDir = path.hasPrefix("/") ? path : gitDir + "/" + path
        }
        for needed in ["objects", "refs"] {
            guard FileManager.default.fileExists(atPath: gitDir + "/" + needed, isDirectory: &isDirectory), isDirectory.boolValue else {
                throw GitLocalRefsError.notARepository(path: repository, reason: "no \(needed)/ in \(gitDir)")
            }
        }
        return gitDir
    }

    /// The id of `ref` in a `packed-refs` file: lines `<id> SP <refname>`; `#` header and `^`
    /// peeled lines skipped.
    static func packedRef(_ ref: String, in packed: [UInt8]) -> [UInt8]? {
        let refBytes = Array(ref.utf8)
        for line in packed.split(separator: 0x0A) where line.first != UInt8(ascii: "#") && line.first != UInt8(ascii: "^") {
            guard let space = line.firstIndex(of: 0x20), line[(space + 1)...].elementsEqual(refBytes) else { continue }
            return Array(line[..<space])
        }
        return nil
    }

    /// `extensions.refStorage` of a git config file, lower-cased; `nil` when not set. A
    /// plain scan of the bytes: `refstorage = X` inside an `[extensions]` section
    /// (git-config(1); keys and section names are case-insensitive).
    static func refStorage(inConfig config: [UInt8]) -> String? {
        func trimmed(_ bytes: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
            let blank: (UInt8) -> Bool = { $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }
            guard let first = bytes.firstIndex(where: { !blank($0) }), let last = bytes.lastIndex(where: { !blank($0) }) else { return [] }
            return bytes[first...last]
        }
        func lower(_ bytes: ArraySlice<UInt8>) -> String { String(decoding: bytes, as: UTF8.self).lowercased() }
        var inExtensions = false
        for raw in config.split(separator: 0x0A) {
            let line = trimmed(raw)
            if line.first == UInt8(ascii: "[") {
                inExtensions = lower(line.dropFirst().prefix { $0 != UInt8(ascii: "]") && $0 != 0x20 && $0 != 0x22 }) == "extensions"
                continue
            }
            guard inExtensions, let equals = line.firstIndex(of: UInt8(ascii: "=")) else { continue }
            if lower(trimmed(line[..<equals])) == "refstorage" { return lower(trimmed(line[(equals + 1)...])) }
        }
        return nil
    }

    /// A file of at most ``maxSmallFile`` bytes; `nil` when absent or a directory.
    static func readSmall(_ path: String) throws -> [UInt8]? { try readFile(path, limit: maxSmallFile) }

    /// The bytes of `path`, at most `limit`; `nil` when absent (`ENOENT`, `ENOTDIR`) or a
    /// directory (`refs/heads/a` when only `refs/heads/a/b` exists).
    ///
    /// - Throws: ``GitLocalRefsError/fileTooLarge(path:limit:)``,
    ///   ``GitLocalRefsError/unreadable(path:reason:)``.
    static func readFile(_ path: String, limit: Int) throws -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            if errno == ENOENT || errno == ENOTDIR { return nil }
            throw GitLocalRefsError.unreadable(path: path, reason: String(cString: strerror(errno)))
        }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 << 10)
        while true {
            let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, min($0.count, limit + 1 - bytes.count)) }
            if n < 0 {
                if errno == EINTR { continue }
                if errno == EISDIR { return nil }
                throw GitLocalRefsError.unreadable(path: path, reason: String(cString: strerror(errno)))
            }
            if n == 0 { return bytes }
            bytes += chunk[..<n]
            if bytes.count > limit { throw GitLocalRefsError.fileTooLarge(path: path, limit: limit) }
        }
    }
}
