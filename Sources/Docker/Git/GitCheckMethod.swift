import Foundation

/// How the remote is checked (`STEVEDORE_GIT_CHECK`).
public enum GitCheckMethod: String, Sendable, CaseIterable {
    /// `git ls-remote` (default): one round trip, no objects.
    case lsRemote = "ls-remote"
    /// A shallow fetch of the branch into a throw-away repository.
    case shallowFetch = "shallow-fetch"
}
