import Foundation

/// Git operations of a deployment, run by a ``GitExecutor`` (a worker container or a local
/// subprocess). URL and branch are always positional arguments of ``GitScript``, never part
/// of shell text. The remote check may instead run in-process (``GitCheckMethod/inProcess``,
/// ``GitRefDiscovery``).
public struct GitClient: Sendable {
    /// Runs the operations.
    public let executor: any GitExecutor
    /// Limit for one operation (`STEVEDORE_GIT_TIMEOUT`, default 300 s).
    public var timeout: Duration
    /// How ``remoteHead(url:branch:access:scratch:sshKeySeed:)`` asks the remote.
    public var checkMethod: GitCheckMethod
    /// The in-process transports for ``GitCheckMethod/inProcess``; without them only local
    /// repositories are read in-process and other URLs go to `git ls-remote`.
    public var discovery: GitRefDiscovery?

    /// - Parameters:
    ///   - executor: worker containers or local subprocesses.
    ///   - timeout: limit for one operation; default 300 s.
    ///   - checkMethod: how the remote is checked; default `ls-remote` (the daemon's default,
    ///     `in-process`, comes from `STEVEDORE_GIT_CHECK`).
    ///   - discovery: the in-process transports (SSH, smart HTTP), for `in-process` checks.
    public init(
        executor: any GitExecutor, timeout: Duration = .seconds(300), checkMethod: GitCheckMethod = .lsRemote,
        discovery: GitRefDiscovery? = nil
    ) {
        self.executor = executor
        self.timeout = timeout
        self.checkMethod = checkMethod
        self.discovery = discovery
    }

    /// Whether a check of `url` needs the deployment's SSH agent: not when the check runs
    /// in-process (the key comes from memory), nor for URLs that are not SSH.
    public func checkNeedsAgent(url: String) -> Bool {
        guard GitURL.usesSSH(url) else { return false }
        return !(checkMethod == .inProcess && discovery != nil)
    }

    private func run(_ operation: GitScript.Operation, checkout: String?, access: GitAccess) async throws -> String {
        let result = try await executor.run(operation, checkout: checkout, access: access, timeout: timeout)
        guard result.exitCode == 0 else { throw GitError.classify(result, operation: operation, deployment: access.deployment) }
        return result.output
    }

    /// The commit `branch` points at on the remote, without touching any checkout.
    ///
    /// - Parameters:
    ///   - scratch: for a shallow-fetch check, the directory the throw-away repository is made
    ///     in (removed before and after, so a killed check leaves nothing behind for long);
    ///     default a new directory under the temporary directory.
    ///   - sshKeySeed: for an in-process check of an SSH URL, the deploy key's Ed25519 seed
    ///     (32 bytes, from the state database); the trusted host keys are
    ///     `<access.sshDirectory>/known_hosts`.
    /// - Throws: ``GitError`` (``GitError/branchNotFound(url:branch:)`` when the branch is
    ///   absent); in-process, the same cases for the same failures.
    public func remoteHead(
        url: String, branch: String, access: GitAccess, scratch: String? = nil, sshKeySeed: [UInt8]? = nil
    ) async throws -> String {
        switch checkMethod {
        case .inProcess:
            do {
                return try await inProcessHead(url: url, branch: branch, access: access, sshKeySeed: sshKeySeed)
            } catch is GitRefDiscovery.Unsupported {
                return try await lsRemoteHead(url: url, branch: branch, access: access)
            }
        case .lsRemote:
            return try await lsRemoteHead(url: url, branch: branch, access: access)
        case .shallowFetch:
            let operation = GitScript.Operation.shallowFetch(url: url, branch: branch)
            let fm = FileManager.default
            let directory = scratch ?? fm.temporaryDirectory.appendingPathComponent("stevedore-git.\(UInt32.random(in: 0 ... .max))").path
            try? fm.removeItem(atPath: directory)
            do {
                try fm.createDirectory(atPath: directory, withIntermediateDirectories: true)
            } catch {
                throw GitError.commandFailed("cannot create \(directory): \(error.localizedDescription)")
            }
            defer { try? fm.removeItem(atPath: directory) }
            let result = try await executor.run(operation, checkout: directory, access: access, timeout: timeout)
            if result.exitCode != 0, result.output.contains("couldn't find remote ref") {
                throw GitError.branchNotFound(url: GitURL.redacted(url), branch: branch)
            }
            guard result.exitCode == 0, let head = GitScript.reportedHead(in: result.output) else {
                throw GitError.classify(result, operation: operation, deployment: access.deployment)
            }
            return head
        }
    }

    /// The check with no process: a local repository's files, or ``discovery``'s transports.
    ///
    /// - Throws: ``GitError``; ``GitRefDiscovery/Unsupported`` when `git ls-remote` must ask
    ///   (a URL not asked in-process, or no ``discovery`` for a remote one).
    private func inProcessHead(url: String, branch: String, access: GitAccess, sshKeySeed: [UInt8]?) async throws -> String {
        switch GitRefDiscovery.transport(of: url) {
        case .local(let path):
            return try GitRefDiscovery.localHead(url: url, path: path, branch: branch)
        case .ssh?, .http?:
            guard let discovery else {
                throw GitRefDiscovery.Unsupported(url: GitURL.redacted(url), reason: "no in-process transports configured")
            }
            return try await discovery.head(
                url: url, branch: branch, deployment: access.deployment, sshKeySeed: sshKeySeed,
                knownHostsPath: access.sshDirectory + "/" + GitAccess.knownHostsName, timeout: timeout)
        case nil:
            throw GitRefDiscovery.Unsupported(url: GitURL.redacted(url), reason: "not a local, SSH or http(s) URL")
        }
    }

    /// `git ls-remote URL refs/heads/BRANCH` through the executor.
    private func lsRemoteHead(url: String, branch: String, access: GitAccess) async throws -> String {
        let output = try await run(.lsRemote(url: url, branch: branch), checkout: nil, access: access)
        switch GitScript.lsRemoteHead(in: output, branch: branch) {
        case .commit(let commit): return commit
        case .absent: throw GitError.branchNotFound(url: GitURL.redacted(url), branch: branch)
        case .notACommit(let value):
            throw GitError.commandFailed(
                "git ls-remote of \(GitURL.redacted(url)) answered '\(value.prefix(80))' for refs/heads/\(branch), which is not a commit id (40 or 64 lower-case hex digits)"
            )
        }
    }

    /// The commit checked out in `directory` (read from `.git`), or `nil` if it is not a checkout.
    public func localHead(directory: String) -> String? { GitHead.read(directory: directory) }

    /// Clones `branch` of `url` into `directory`, which must not be a checkout yet: the clone
    /// goes to a temporary sibling (`<directory>.clone-*`) that is renamed into place only
    /// when complete and on disk (a power cut included), so an interrupted clone leaves nothing
    /// half-made at `directory`.
    ///
    /// - Returns: the commit checked out.
    /// - Throws: ``GitError``.
    public func clone(url: String, branch: String, into directory: String, access: GitAccess) async throws -> String {
        let fm = FileManager.default
        let temp = "\(directory).clone-\(UInt32.random(in: 0 ... .max))"
        try? fm.createDirectory(atPath: (directory as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        do {
            try fm.createDirectory(atPath: temp, withIntermediateDirectories: false)
        } catch {
            throw GitError.commandFailed("cannot create \(temp): \(error.localizedDescription)")
        }
        defer { try? fm.removeItem(atPath: temp) }
        _ = try await run(.clone(url: url, branch: branch), checkout: temp, access: access)
        guard let head = GitHead.read(directory: temp) else { throw GitError.commandFailed("clone of \(url) left no commit checked out") }
        // Git fsyncs its packs but not the work tree, the index or HEAD: the clone is on disk
        // before it takes the place of `directory` (a power cut must not leave a checkout whose
        // files are empty).
        FileSync.fileSystem(containing: temp)
        if fm.fileExists(atPath: directory) { try? fm.removeItem(atPath: directory) }
        do {
            try fm.moveItem(atPath: temp, toPath: directory)
        } catch {
            throw GitError.commandFailed("cannot move the clone into \(directory): \(error.localizedDescription)")
        }
        FileSync.directory(FileSync.parent(of: directory))
        return head
    }

    /// Removes leftovers of an interrupted clone next to `directory` (`<directory>.clone-*`).
    public static func removeInterruptedClones(of directory: String) {
        let parent = (directory as NSString).deletingLastPathComponent
        let prefix = (directory as NSString).lastPathComponent + ".clone-"
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: parent)) ?? [] where entry.hasPrefix(prefix) {
            try? FileManager.default.removeItem(atPath: parent + "/" + entry)
        }
    }

    /// Fetches `branch` into the checkout at `directory`, hard-resets to the fetched commit and,
    /// when `clean`, removes untracked files (`clean -fd`); returns once the checkout is on disk
    /// (``FileSync/fileSystem(containing:)``).
    ///
    /// - Returns: the commit checked out.
    /// - Throws: ``GitError``.
    public func update(url: String, branch: String, directory: String, clean: Bool, access: GitAccess) async throws -> String {
        let output = try await run(.update(url: url, branch: branch, clean: clean), checkout: directory, access: access)
        guard let head = GitScript.reportedHead(in: output) ?? GitHead.read(directory: directory) else {
            throw GitError.commandFailed("update of \(directory) left no commit checked out")
        }
        FileSync.fileSystem(containing: directory)
        return head
    }

    /// Puts the checkout back at `commit` (`reset --hard`, `clean -fd` when `clean`), without
    /// the network: the repair after an interrupted update. Returns once the checkout is on disk.
    ///
    /// - Returns: the commit checked out.
    /// - Throws: ``GitError``.
    public func restore(commit: String, directory: String, clean: Bool, access: GitAccess) async throws -> String {
        let output = try await run(.restore(commit: commit, clean: clean), checkout: directory, access: access)
        FileSync.fileSystem(containing: directory)
        return GitScript.reportedHead(in: output) ?? commit
    }
}
