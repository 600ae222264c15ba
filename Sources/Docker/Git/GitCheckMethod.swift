import Foundation

/// How the remote is checked (`STEVEDORE_GIT_CHECK`).
public enum GitCheckMethod: String, Sendable, CaseIterable {
    /// In the daemon, with no process and no container: the repository's
    /// files for local paths, smart HTTP for `http(s)://`, SSH with the deploy key from memory
    /// (``GitRefDiscovery``). URLs it does not ask (`git://`, dumb HTTP) go to `git ls-remote`.
    /// Opt-in for now (`STEVEDORE_GIT_CHECK=in-process`).
    case inProcess = "in-process"
    /// `git ls-remote` (the daemon's default): one round trip, no objects, in a worker container or a subprocess.
    case lsRemote = "ls-remote"
    /// A shallow fetch of the branch into a throw-away repository.
    case shallowFetch = "shallow-fetch"
}
