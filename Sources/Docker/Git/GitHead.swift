import Foundation

/// Reads a checkout's `HEAD` from the files under `.git` (gitrepository-layout(5)): a
/// detached `HEAD`, a loose ref, or a line of `packed-refs`. No git binary needed, so the
/// daemon can read it in worker mode.
public enum GitHead {
    /// The commit `HEAD` of the checkout in `directory` points at, or `nil` when it is not a
    /// checkout or the ref is unborn.
    public static func read(directory: String) -> String? {
        let gitDir = directory + "/.git"
        return resolve { name in try? String(contentsOfFile: gitDir + "/" + name, encoding: .utf8) }
    }

    /// The commit `HEAD` points at, from the files of a git directory as `file` returns them
    /// (`HEAD`, a loose ref such as `refs/heads/main`, `packed-refs`; `nil`: absent). A
    /// symbolic ref outside `refs/` or with `..` is not followed.
    static func resolve(file: (String) -> String?) -> String? {
        func contents(_ name: String) -> String? { file(name)?.trimmingCharacters(in: .whitespacesAndNewlines) }
        guard let head = contents("HEAD") else { return nil }
        guard head.hasPrefix("ref: ") else { return isCommit(head) ? head : nil }
        let ref = String(head.dropFirst("ref: ".count))
        guard !ref.contains(".."), ref.hasPrefix("refs/") else { return nil }
        if let loose = contents(ref) { return isCommit(loose) ? loose : nil }
        guard let packed = file("packed-refs") else { return nil }
        let refBytes = Array(ref.utf8)
        for line in packed.utf8.split(separator: 0x0A) where line.first != UInt8(ascii: "#") && line.first != UInt8(ascii: "^") {
            let parts = line.split(separator: 0x20, maxSplits: 1)
            guard parts.count == 2, parts[1].elementsEqual(refBytes) else { continue }
            let commit = String(decoding: parts[0], as: UTF8.self)
            if isCommit(commit) { return commit }
        }
        return nil
    }

    /// 40 (SHA-1) or 64 (SHA-256) lower-case ASCII hex digits (not Unicode's other hex
    /// digits, such as full-width ones).
    public static func isCommit(_ text: String) -> Bool {
        let bytes = text.utf8
        return (bytes.count == 40 || bytes.count == 64)
            && bytes.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) }
    }
}
