import Foundation

/// Reads a checkout's `HEAD` from the files under `.git` (gitrepository-layout(5)): a
/// detached `HEAD`, a loose ref, or a line of `packed-refs`. No git binary needed, so the
/// daemon can read it in worker mode.
public enum GitHead {
    /// The commit `HEAD` of the checkout in `directory` points at, or `nil` when it is not a
    /// checkout or the ref is unborn.
    public static func read(directory: String) -> String? {
        let gitDir = directory + "/.git"
        guard let head = contents(gitDir + "/HEAD") else { return nil }
        guard head.hasPrefix("ref: ") else { return isCommit(head) ? head : nil }
        let ref = String(head.dropFirst("ref: ".count))
        guard !ref.contains(".."), ref.hasPrefix("refs/") else { return nil }
        if let loose = contents(gitDir + "/" + ref) { return isCommit(loose) ? loose : nil }
        guard let packed = try? String(contentsOfFile: gitDir + "/packed-refs", encoding: .utf8) else { return nil }
        for line in packed.split(separator: "\n") where !line.hasPrefix("#") && !line.hasPrefix("^") {
            let parts = line.split(separator: " ", maxSplits: 1)
            if parts.count == 2, parts[1] == ref, isCommit(String(parts[0])) { return String(parts[0]) }
        }
        return nil
    }

    private static func contents(_ path: String) -> String? {
        (try? String(contentsOfFile: path, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// 40 (SHA-1) or 64 (SHA-256) lower-case hex digits.
    static func isCommit(_ text: String) -> Bool {
        (text.count == 40 || text.count == 64) && text.allSatisfy { $0.isHexDigit && !$0.isUppercase }
    }
}
