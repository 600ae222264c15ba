import CBuildInfo

/// Stevedore's version (semantic versioning) and the git commit the binary was built from.
public enum StevedoreVersion {
    /// This build's version, shown by `stevedore version` and `/healthz`.
    public static let current = "0.1.0"

    /// The commit the binary was built from: 40 hex digits (64 for a SHA-256 repository),
    /// `-dirty` appended when the checkout had uncommitted changes; `nil` when the build did
    /// not record one (a plain `swift build`; scripts/build-release.sh, which install.sh uses,
    /// always does). Embedded as a C string constant (target CBuildInfo), so it survives `strip`.
    public static let commit: String? = {
        let text = String(cString: stevedore_build_commit())
        return text.isEmpty ? nil : text
    }()

    /// `stevedore version`'s line: `stevedore 0.1.0 (commit 0123456789ab)` — the commit's first
    /// 12 hex digits, plus `-dirty` if so — or `stevedore 0.1.0 (commit unknown)`.
    public static var line: String {
        guard let commit else { return "stevedore \(current) (commit unknown)" }
        let dirty = commit.hasSuffix("-dirty")
        let hex = dirty ? commit.dropLast("-dirty".count) : Substring(commit)
        return "stevedore \(current) (commit \(hex.prefix(12))\(dirty ? "-dirty" : ""))"
    }
}
