/// Why ``GitLocalRefs`` could not say which commit a branch of a local repository is at.
public enum GitLocalRefsError: Error, Sendable, Equatable, CustomStringConvertible {
    /// `path` is not a repository: no `.git` directory or file there, and not a bare
    /// repository (`HEAD`, `objects/` and `refs/`, gitrepository-layout(5)).
    case notARepository(path: String, reason: String)
    /// The branch has no ref in the repository (neither loose nor packed).
    case branchNotFound(path: String, branch: String)
    /// The branch name is one git would refuse (git-check-ref-format(1) `--branch`).
    case invalidBranch(String)
    /// A file is larger than what git writes there (`limit` bytes).
    case fileTooLarge(path: String, limit: Int)
    /// A ref file holds neither an object id nor `ref: refs/…` (`content`, cut to 64 bytes).
    case malformedRef(path: String, content: String)
    /// Symbolic refs point on for more than `limit` levels (a loop, or a chain git itself
    /// would not follow).
    case symrefTooDeep(path: String, limit: Int)
    /// The repository keeps its refs in a format not read here (`reftable`).
    case unsupportedRefStorage(path: String, format: String)
    /// A file could not be read (`errno`'s text).
    case unreadable(path: String, reason: String)

    public var description: String {
        switch self {
        case .notARepository(let path, let reason): return "'\(path)' is not a git repository (\(reason))"
        case .branchNotFound(let path, let branch): return "branch '\(branch)' not found in the repository \(path)"
        case .invalidBranch(let branch): return "'\(branch)' is not a valid branch name (git-check-ref-format(1) --branch)"
        case .fileTooLarge(let path, let limit): return "\(path) is larger than \(limit) bytes, more than git writes there"
        case .malformedRef(let path, let content):
            return "\(path) holds '\(content)', neither an object id nor 'ref: refs/…' (gitrepository-layout(5))"
        case .symrefTooDeep(let path, let limit):
            return "the symbolic refs from \(path) point on for more than \(limit) levels"
        case .unsupportedRefStorage(let path, let format):
            return "the repository \(path) keeps its refs as \(format), which is not read here; use the git worker"
        case .unreadable(let path, let reason): return "cannot read \(path): \(reason)"
        }
    }
}
