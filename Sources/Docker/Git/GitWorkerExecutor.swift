import Foundation
import Synchronization

/// Runs ``GitScript`` in a short-lived container per operation, created through the Engine API
/// (the `--rm` equivalent: the container is removed after its output is read, on timeout, on
/// error and on cancellation).
///
/// The container runs on the host network (a Git server on 127.0.0.1 is reachable as from the
/// host) with exactly these mounts: the checkout at `/checkout`, the deployment's agent
/// directory at `/stevedore/agent` (`SSH_AUTH_SOCK=/stevedore/agent/agent.sock`), its ssh
/// directory at `/stevedore/ssh`, and — for a URL that is a local path or `file://` — that
/// repository read-only at the same path. With a ``user`` (a daemon that is not root), the
/// worker runs as that uid/gid with its passwd file at `/etc/passwd`. Labels: `com.stevedore.managed=true`,
/// `com.stevedore.deployment=<name>`, `com.stevedore.role=git-worker`, plus ``extraLabels``.
public final class GitWorkerExecutor: GitExecutor {
    /// The role label value of git workers.
    public static let role = "git-worker"
    /// The Engine client.
    public let docker: DockerEngine
    /// Image with `git`, `ssh` and `/bin/sh` (`STEVEDORE_GIT_IMAGE`, default `alpine/git`).
    public let image: String
    /// Labels added to every worker (the daemon adds `com.stevedore.root=<state root>` so that
    /// leftover cleanup only touches its own workers).
    public let extraLabels: [String: String]
    /// The user workers run as; `nil`: the image's user (root), as for a daemon running as root.
    public let user: GitWorkerUser?
    private let imageChecked = Mutex(false)

    /// Default image: `alpine/git:latest`.
    public static let defaultImage = "alpine/git:latest"

    /// An executor creating workers from `image` on `docker`, as `user` (see ``user``); nothing
    /// is created until ``run(_:checkout:access:timeout:)``.
    public init(
        docker: DockerEngine, image: String = GitWorkerExecutor.defaultImage, extraLabels: [String: String] = [:],
        user: GitWorkerUser? = nil
    ) {
        self.docker = docker
        self.image = image
        self.extraLabels = extraLabels
        self.user = user
    }

    /// Always ``GitMode/worker``.
    public var mode: GitMode { .worker }

    /// Labels of every worker of this executor.
    public func labels(deployment: String) -> [String: String] {
        var labels = extraLabels
        labels["com.stevedore.managed"] = "true"
        labels["com.stevedore.deployment"] = deployment
        labels["com.stevedore.role"] = Self.role
        return labels
    }

    /// Makes sure the image is present: pulls it once if it is not.
    ///
    /// - Throws: ``GitError/workerImageMissing(image:detail:)``, `DockerError` (engine down).
    public func ensureImage() async throws {
        if imageChecked.withLock({ $0 }) { return }
        if try await !docker.imageExists(image) {
            do {
                try await docker.pullImage(image, timeout: .seconds(600))
            } catch let error as DockerError {
                if case .unreachable = error { throw error }
                throw GitError.workerImageMissing(image: image, detail: error.description)
            }
        }
        imageChecked.withLock { $0 = true }
    }

    /// Creates, starts and waits for one worker (``GitExecutor/run(_:checkout:access:timeout:)``); the
    /// container is removed in every case, after its output (stdout, then stderr) is read.
    public func run(_ operation: GitScript.Operation, checkout: String?, access: GitAccess, timeout: Duration) async throws -> GitRunResult
    {
        try await ensureImage()
        var binds = ["\(access.sshDirectory):/stevedore/ssh"]
        var env = [
            "CHECKOUT=/checkout", "HOME=/tmp", "GIT_TERMINAL_PROMPT=0", "LC_ALL=C",
            "GIT_SSH_COMMAND=\(GitAccess.sshCommand(sshDirectory: "/stevedore/ssh"))",
        ]
        if let checkout { binds.append("\(checkout):/checkout") }
        if let agent = access.agentDirectory {
            binds.append("\(agent):/stevedore/agent")
            env.append("SSH_AUTH_SOCK=/stevedore/agent/\(GitAccess.agentSocketName)")
        }
        if let url = operation.url, let path = GitURL.localPath(url) {
            binds.append("\(path):\(path):ro")
        }
        if let user { binds.append(user.passwdBind) }
        let groups = user.flatMap { $0.groups.isEmpty ? nil : $0.groups.map(String.init) }
        let request = ContainerCreateRequest(
            image: image, entrypoint: ["/bin/sh", "-c", GitScript.text, GitScript.name], cmd: operation.arguments,
            env: env, labels: labels(deployment: access.deployment), workingDir: "/", user: user?.dockerUser,
            hostConfig: .init(binds: binds, groupAdd: groups))
        let name = "stevedore-git-\(access.deployment)-\(UInt32.random(in: 0 ... .max))"
        let id: String
        do {
            // Not cancellable: a create cancelled in flight may still complete in the engine,
            // and without its id the container would stay behind. It takes milliseconds.
            let docker = docker
            id = try await Task.detached { try await docker.createContainer(request, name: name) }.value
        } catch DockerError.api(let status, let message, _) where status == 404 {
            imageChecked.withLock { $0 = false }
            throw GitError.workerImageMissing(image: image, detail: message)
        }
        do {
            try Task.checkCancellation()
            try await docker.start(container: id)
            let exitCode = try await withThrowingTaskGroup(of: Int?.self) { group in
                group.addTask { try await self.docker.waitForExit(container: id) }
                group.addTask {
                    try await Task.sleep(for: timeout)
                    return nil
                }
                defer { group.cancelAll() }
                return try await group.next()!
            }
            guard let exitCode else {
                throw GitError.timedOut(operation: operation.arguments[0], seconds: Int(timeout.components.seconds))
            }
            let output = try await docker.output(container: id)
            await removeDetached(id)
            return GitRunResult(exitCode: exitCode, output: output.stdout + output.stderr)
        } catch {
            // Timeout, cancellation (liveness deadline, shutdown) or an engine error: the worker
            // goes away in every case, even when this task is cancelled.
            await removeDetached(id)
            throw error
        }
    }

    /// Removes the container `id` in a task of its own, so it happens even when the caller is
    /// cancelled. A refused or timed-out removal (an engine under load) is tried again, up to
    /// three times a second apart; what still fails is left to ``removeLeftovers()`` at the
    /// daemon's next start, and written to stderr (the worker holds the deployment's agent
    /// socket and checkout mounts meanwhile).
    private func removeDetached(_ id: String) async {
        let docker = docker
        await Task.detached {
            var lastError: (any Error)?
            for attempt in 1...3 {
                do {
                    try await docker.remove(container: id)
                    return
                } catch {
                    lastError = error
                    if attempt < 3 { try? await Task.sleep(for: .seconds(1)) }
                }
            }
            FileHandle.standardError.write(
                Data("stevedore: git worker \(id.prefix(12)) could not be removed: \(lastError.map { "\($0)" } ?? "")\n".utf8))
        }.value
    }

    /// Removes every container carrying the git-worker role and all of `labels` (leftovers of
    /// a daemon that crashed mid-operation).
    ///
    /// - Returns: how many were removed.
    /// - Throws: `DockerError`.
    public func removeLeftovers() async throws -> Int {
        let filters =
            ["com.stevedore.role=\(Self.role)", "com.stevedore.managed=true"]
            + extraLabels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
        let leftovers = try await docker.containers(labels: filters)
        for container in leftovers { try await docker.remove(container: container.id) }
        return leftovers.count
    }
}
