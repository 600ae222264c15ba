import Foundation

/// Runs ``GitScript`` as a local `/bin/sh` (own process group, scrubbed environment, the same
/// agent socket and ssh files as a worker would get).
public struct LocalGitExecutor: GitExecutor {
    private let runner: ProcessRunner
    private let extraEnvironment: [String: String]

    /// - Parameter extraEnvironment: added to every run's environment (e.g. `TMPDIR`).
    public init(runner: ProcessRunner = ProcessRunner(killGracePeriod: .seconds(2)), extraEnvironment: [String: String] = [:]) {
        self.runner = runner
        self.extraEnvironment = extraEnvironment
    }

    /// Always ``GitMode/local``.
    public var mode: GitMode { .local }

    /// Runs `/bin/sh -c <GitScript> stevedore-git <arguments>` (``GitExecutor/run(_:checkout:access:timeout:)``);
    /// on timeout the process group gets SIGTERM, then SIGKILL.
    public func run(_ operation: GitScript.Operation, checkout: String?, access: GitAccess, timeout: Duration) async throws -> GitRunResult
    {
        let environment = ProcessRunner.childEnvironment(
            extra: [
                "CHECKOUT": checkout ?? "/nonexistent",
                "SSH_AUTH_SOCK": access.agentDirectory.map { $0 + "/" + GitAccess.agentSocketName } ?? "",
                "GIT_SSH_COMMAND": GitAccess.sshCommand(sshDirectory: access.sshDirectory),
                "GIT_TERMINAL_PROMPT": "0", "GIT_ASKPASS": "/bin/true", "SSH_ASKPASS": "/bin/true", "LC_ALL": "C",
            ].merging(extraEnvironment) { _, extra in extra })
        let command = ["/bin/sh", "-c", GitScript.text, GitScript.name] + operation.arguments
        do {
            let result = try await runner.run(command, environment: environment, timeout: timeout)
            return GitRunResult(exitCode: result.exitCode.map(Int.init), output: result.output)
        } catch ProcessError.timedOut(_, let limit, _) {
            throw GitError.timedOut(operation: operation.arguments[0], seconds: Int(limit.components.seconds))
        }
    }
}

extension LocalGitExecutor {
    /// Kills the process groups of local git runs left by an earlier daemon on this state root
    /// (``LeftoverProcesses``): processes whose argv is `/bin/sh -c <GitScript> stevedore-git …`
    /// and whose environment names an ssh directory under `root`.
    ///
    /// - Returns: the process groups killed.
    @discardableResult
    public static func killLeftovers(root: String) -> [pid_t] {
        LeftoverProcesses.killGroups { process in
            let argv = process.arguments
            guard argv.count >= 4, argv[0] == "/bin/sh", argv[1] == "-c", argv[3] == GitScript.name,
                let environment = process.environment()
            else { return false }
            return environment.contains { $0.hasPrefix("GIT_SSH_COMMAND=") && $0.contains("UserKnownHostsFile=\(root)/deployments/") }
        }
    }
}
