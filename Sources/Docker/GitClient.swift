import Foundation

/// Errors of Git operations.
public enum GitError: Error, Sendable, CustomStringConvertible {
    /// The branch does not exist on the remote.
    case branchNotFound(url: String, branch: String)
    /// A git command failed; the message carries its output's tail.
    case commandFailed(String)

    public var description: String {
        switch self {
        case let .branchNotFound(url, branch): return "branch '\(branch)' not found on remote \(url)"
        case .commandFailed(let message): return message
        }
    }
}

/// Git operations run as local subprocesses (own process group, scrubbed environment,
/// `GIT_TERMINAL_PROMPT=0` so a private remote fails instead of waiting for a password).
///
/// URL and branch are always separate arguments (after `--` where git allows it), never
/// interpolated into a shell string. Worker containers replace this in a later version;
/// this stays as the `local` mode.
public struct GitClient: Sendable {
    private let runner: ProcessRunner
    /// Limit for one git command.
    public var timeout: Duration

    /// - Parameters:
    ///   - runner: runs git (process group, timeout, scrubbed environment).
    ///   - timeout: limit for one git command; default 300 s.
    public init(runner: ProcessRunner = ProcessRunner(), timeout: Duration = .seconds(300)) {
        self.runner = runner
        self.timeout = timeout
    }

    private var environment: [String: String] {
        ProcessRunner.childEnvironment(extra: ["GIT_TERMINAL_PROMPT": "0", "GIT_ASKPASS": "/bin/true", "LC_ALL": "C"])
    }

    private func git(_ args: [String], in directory: String? = nil) async throws -> String {
        do {
            return try await runner.runChecked(["git"] + args, environment: environment, workingDirectory: directory, timeout: timeout).output
        } catch let error as ProcessError {
            throw GitError.commandFailed(error.description)
        }
    }

    /// The commit `branch` points at on the remote (`git ls-remote`), without touching any
    /// checkout.
    ///
    /// - Throws: ``GitError/branchNotFound(url:branch:)``, ``GitError/commandFailed(_:)``.
    public func remoteHead(url: String, branch: String) async throws -> String {
        let output = try await git(["ls-remote", "--", url, "refs/heads/\(branch)"])
        for line in output.split(separator: "\n") {
            let parts = line.split(separator: "\t")
            if parts.count == 2, parts[1] == "refs/heads/\(branch)" { return String(parts[0]) }
        }
        throw GitError.branchNotFound(url: url, branch: branch)
    }

    /// The commit checked out in `directory`, or `nil` if it is not a Git checkout.
    public func localHead(directory: String) async -> String? {
        guard FileManager.default.fileExists(atPath: directory + "/.git") else { return nil }
        return try? await git(["rev-parse", "HEAD"], in: directory).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Makes `directory` a checkout of `branch` of `url` at the remote's current head:
    /// clones into a temporary sibling and renames it into place when absent; otherwise
    /// fetches, hard-resets to the fetched commit and removes untracked files.
    ///
    /// - Returns: the commit now checked out.
    /// - Throws: ``GitError``.
    public func sync(url: String, branch: String, directory: String) async throws -> String {
        let fm = FileManager.default
        if !fm.fileExists(atPath: directory + "/.git") {
            let parent = (directory as NSString).deletingLastPathComponent
            try? fm.createDirectory(atPath: parent, withIntermediateDirectories: true)
            let temp = "\(directory).clone-\(getpid())-\(UInt32.random(in: 0 ... .max))"
            defer { try? fm.removeItem(atPath: temp) }
            _ = try await git(["clone", "--quiet", "--single-branch", "--branch", branch, "--", url, temp])
            if fm.fileExists(atPath: directory) { try? fm.removeItem(atPath: directory) }
            do {
                try fm.moveItem(atPath: temp, toPath: directory)
            } catch {
                throw GitError.commandFailed("cannot move clone into \(directory): \(error)")
            }
        } else {
            // A stale lock from a crash would block every later operation.
            let lock = directory + "/.git/index.lock"
            if fm.fileExists(atPath: lock) { try? fm.removeItem(atPath: lock) }
            _ = try await git(["remote", "set-url", "origin", "--", url], in: directory)
            _ = try await git(["fetch", "--quiet", "--prune", "origin", "--", "+refs/heads/\(branch):refs/remotes/origin/\(branch)"], in: directory)
            _ = try await git(["reset", "--quiet", "--hard", "refs/remotes/origin/\(branch)"], in: directory)
            _ = try await git(["clean", "-fdq"], in: directory)
        }
        guard let head = await localHead(directory: directory) else {
            throw GitError.commandFailed("no commit checked out in \(directory) after sync")
        }
        return head
    }
}
