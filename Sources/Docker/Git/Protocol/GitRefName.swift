/// Branch names as git-check-ref-format(1) with `--branch` allows them, checked on the UTF-8
/// bytes as git does (a `Character` check misses `@{` when a combining mark follows the
/// brace). The admin API's branch check (`Validation.branch` in Services) is this one; ref
/// discovery uses it too, and it keeps a branch from naming a file outside `refs/heads/`
/// when refs are read from disk.
public enum GitRefName {
    /// Whether `branch` is a valid branch name: no component starting with `.` or ending with
    /// `.lock`, no `..`, `@{`, `//`, control characters, space, `~ ^ : ? * [ \`; not `@`, not
    /// starting with `-` or `/`, not ending with `/` or `.`; not empty.
    public static func isValidBranch(_ branch: String) -> Bool {
        let bytes = Array(branch.utf8)
        func contains(_ text: String) -> Bool {
            let needle = Array(text.utf8)
            guard bytes.count >= needle.count else { return false }
            return (0...(bytes.count - needle.count)).contains { bytes[$0..<($0 + needle.count)].elementsEqual(needle) }
        }
        let forbidden = Set(" ~^:?*[\\".utf8)
        let components = bytes.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false)
        guard let first = bytes.first, let last = bytes.last, first != UInt8(ascii: "-"), first != UInt8(ascii: "/"),
            last != UInt8(ascii: "/"), last != UInt8(ascii: "."), branch != "@",
            !contains(".."), !contains("@{"), !contains("//"),
            !bytes.contains(where: { $0 < 0x20 || $0 == 0x7F || forbidden.contains($0) }),
            !components.contains(where: {
                $0.first == UInt8(ascii: ".") || $0.elementsEqual(".lock".utf8) || $0.reversed().starts(with: "kcol.".utf8)
            })
        else { return false }
        return true
    }
}
