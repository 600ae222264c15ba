import Foundation

/// How the remote is checked (`STEVEDORE_GIT_CHECK`).
public enum GitCheckMethod: String, Sendable, CaseIterable {
    /// In the daemon, with no process and no container: the repository's
    /// files for local paths, smart HTTP for `http(s)://`, SSH with the deploy key from memory
    /// (``GitRefDiscovery``). URLs it does not ask (`git://`, dumb HTTP, an SSH server with
    /// only an RSA host key) go to `git ls-remote`. The daemon's default.
    case inProcess = "in-process"
    /// `git ls-remote`: one round trip, no objects, in a worker container or a subprocess.
    case lsRemote = "ls-remote"
    /// A shallow fetch of the branch into a throw-away repository.
    case shallowFetch = "shallow-fetch"
}
