import Foundation

/// Runs ``GitScript`` operations for a deployment: in a worker container
/// (``GitWorkerExecutor``, the default) or as a local subprocess (``LocalGitExecutor``,
/// `STEVEDORE_GIT_MODE=local`).
public protocol GitExecutor: Sendable {
    /// `worker` or `local`, for status and `doctor`.
    var mode: GitMode { get }

    /// Runs one operation.
    ///
    /// - Parameters:
    ///   - checkout: host path of the working tree the operation works on (for `clone`, an
    ///     empty directory); `nil` for remote-only operations.
    ///   - timeout: wall-clock limit; the worker (container or process group) is killed and
    ///     removed when it passes.
    /// - Returns: the exit status and output, whatever the status.
    /// - Throws: ``GitError/timedOut(operation:seconds:)``, ``GitError/workerImageMissing(image:detail:)``,
    ///   `DockerError`, `CancellationError` (the worker is removed first).
    func run(_ operation: GitScript.Operation, checkout: String?, access: GitAccess, timeout: Duration) async throws -> GitRunResult
}
