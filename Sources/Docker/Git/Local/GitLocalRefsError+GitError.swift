extension GitLocalRefsError {
    /// The error as the check reports it: the ``GitError`` case `git ls-remote PATH
    /// refs/heads/BRANCH` gets for the same repository (a missing branch, and a name git
    /// refuses, are ``GitError/branchNotFound(url:branch:)``; no repository is
    /// ``GitError/commandFailed(_:)`` with git's "does not appear to be a git repository"),
    /// or ``GitRefDiscovery/Unsupported`` for refs kept as `reftable` (git reads them).
    ///
    /// - Parameters:
    ///   - url: the URL as configured, for messages.
    ///   - branch: the branch asked about.
    public func gitError(url: String, branch: String) -> any Error {
        switch self {
        case .branchNotFound, .invalidBranch: return GitError.branchNotFound(url: url, branch: branch)
        case .notARepository(let path, let reason):
            return GitError.commandFailed("git ls-remote failed: '\(path)' does not appear to be a git repository (\(reason))")
        case .unsupportedRefStorage(_, let format):
            return GitRefDiscovery.Unsupported(url: url, reason: "the repository keeps its refs as \(format)")
        case .fileTooLarge, .malformedRef, .symrefTooDeep, .unreadable:
            return GitError.commandFailed("git ls-remote of \(url) failed: \(self)")
        }
    }
}
