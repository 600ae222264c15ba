import Docker
import Foundation
import Store

/// The checkout of a deployment: credentials for Git, atomic sync, repair of an interrupted
/// update, and the remote check.
extension DeploymentEngine {
    /// What the deployment's Git operations may use: its agent directory (when an agent serves
    /// it) and its ssh directory, created on demand with `deploy_key.pub` and `known_hosts`.
    ///
    /// - Parameter needsAgent: whether the operation needs the agent for an SSH URL (an
    ///   in-process check does not: it has the key from the database); default `true`.
    /// - Throws: ``ServiceError/agentUnavailable(_:reason:)`` for an SSH URL while the `ssh-agent`
    ///   child does not serve the deployment (restarting, stopped by an operator, or unable to
    ///   bind its socket) and `needsAgent`, file errors of the ssh directory.
    func access(_ record: DeploymentRecord, needsAgent: Bool = true) async throws -> GitAccess {
        let name = record.name
        let sshDirectory = root.ssh(name)
        let fm = FileManager.default
        try fm.createDirectory(atPath: sshDirectory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let knownHosts = sshDirectory + "/" + GitAccess.knownHostsName
        if !fm.fileExists(atPath: knownHosts), !fm.createFile(atPath: knownHosts, contents: nil, attributes: [.posixPermissions: 0o644]) {
            throw ServiceError.fileWriteFailed(path: knownHosts, reason: String(cString: strerror(errno)))
        }
        if let key = try await store.deployKey(of: name) {
            let file = sshDirectory + "/" + GitAccess.publicKeyName
            let line = key.publicKey + "\n"
            if (try? String(contentsOfFile: file, encoding: .utf8)) != line {
                try AtomicFile.write(Data(line.utf8), to: file, mode: 0o644)
            }
        }
        var agentDirectory: String?
        if let agents {
            if await agents.isServing(name) {
                agentDirectory = agents.agentDirectory(for: name)
            } else if needsAgent, GitURL.usesSSH(record.url) {
                throw ServiceError.agentUnavailable(name, reason: await agents.failure(name))
            }
        }
        return GitAccess(deployment: name, agentDirectory: agentDirectory, sshDirectory: sshDirectory)
    }

    /// Brings the checkout to the remote branch's head. A first sync clones into a temporary
    /// sibling renamed into place when complete; later syncs update in place between a
    /// `sync-in-progress` marker's creation and removal, so an update that does not finish
    /// (timeout, kill, crash, network loss) is known and repaired by ``preparedCheckout(_:)``
    /// before Compose runs. Leftover clones and a stale `index.lock` (no Git operation runs
    /// outside the deployment's lock) are removed first.
    ///
    /// - Returns: the commit checked out.
    func syncCheckout(_ record: DeploymentRecord) async throws -> String {
        let name = record.name
        let repo = root.repo(name)
        GitClient.removeInterruptedClones(of: repo)
        let access = try await access(record)
        guard git.localHead(directory: repo) != nil else {
            return try await git.clone(url: record.url, branch: record.branch, into: repo, access: access)
        }
        removeStaleIndexLock(repo)
        let previous = try await store.status(of: name).syncedCommit ?? git.localHead(directory: repo) ?? ""
        let marker = root.syncMarker(name)
        if !FileManager.default.fileExists(atPath: marker) {
            try AtomicFile.write(Data((previous + "\n").utf8), to: marker, mode: 0o600)
        }
        let commit: String
        do {
            commit = try await git.update(url: record.url, branch: record.branch, directory: repo, clean: record.clean, access: access)
        } catch let error as GitError where error.meansCorruptCheckout {
            // Writes lost by the disk (a power cut, a filesystem repaired after an error): the
            // checkout is replaced by a fresh clone once that is complete (untracked files go).
            logger.warning("the checkout is damaged; cloning it anew", metadata: ["deployment": "\(name)", "error": "\(error)"])
            commit = try await git.clone(url: record.url, branch: record.branch, into: repo, access: access)
            try? await store.recordEvent(
                deployment: name, kind: "sync", message: "cloned anew: the checkout was damaged (\(String(describing: error).prefix(200)))")
        }
        try? AtomicFile.remove(marker)
        return commit
    }

    /// The checkout Compose may run on: its `HEAD` is the commit recorded as synced and no
    /// update is half done. If an update was interrupted (the `sync-in-progress` marker is
    /// there) or `HEAD` moved, the recorded commit is restored first (`reset --hard`, no
    /// network).
    ///
    /// - Returns: the recorded synced commit, now checked out.
    /// - Throws: ``ServiceError/notSynced(_:)``, ``GitError`` of the restore.
    func preparedCheckout(_ record: DeploymentRecord) async throws -> String {
        let name = record.name
        let repo = root.repo(name)
        guard let head = git.localHead(directory: repo) else { throw ServiceError.notSynced(name) }
        let synced = try await store.status(of: name).syncedCommit ?? head
        let marker = root.syncMarker(name)
        let interrupted = FileManager.default.fileExists(atPath: marker)
        guard interrupted || head != synced else { return synced }
        removeStaleIndexLock(repo)
        logger.warning(
            "restoring the checkout to the synced commit before deploying",
            metadata: [
                "deployment": "\(name)", "head": "\(head)", "synced": "\(synced)", "interrupted_update": "\(interrupted)",
            ])
        let restored = try await git.restore(commit: synced, directory: repo, clean: record.clean, access: try await access(record))
        try? AtomicFile.remove(marker)
        try? await store.recordEvent(
            deployment: name, kind: "sync", message: "restored checkout to \(synced.prefix(12)) after an interrupted update")
        return restored
    }

    private func removeStaleIndexLock(_ repo: String) {
        // Only called under the deployment's lock: no Git operation of ours can be running.
        let lock = repo + "/.git/index.lock"
        if FileManager.default.fileExists(atPath: lock) {
            try? FileManager.default.removeItem(atPath: lock)
            logger.notice("removed a stale index.lock", metadata: ["path": "\(lock)"])
        }
    }

    /// `stevedore check NAME`: the remote branch's head against what is checked out and
    /// deployed, without touching the checkout (the check itself is recorded).
    ///
    /// - Throws: ``ServiceError/unknownDeployment(_:)``, ``GitError``.
    public func check(_ name: String) async throws -> CheckResponse {
        let record = try await deployment(name)
        let remote = try await checkRemote(name)
        let status = try await store.status(of: name)
        let current = git.localHead(directory: root.repo(name))
        return CheckResponse(
            deployment: name, url: GitURL.redacted(record.url), branch: record.branch, currentCommit: current,
            deployedCommit: status.deployedCommit, remoteCommit: remote,
            updateAvailable: current != remote || status.deployedCommit != remote)
    }

    /// Removes the trusted key(s) of `host` from the deployment's `known_hosts`, so the next
    /// connection trusts the host's current key (trust on first use again).
    ///
    /// - Returns: how many lines were removed.
    /// - Throws: ``ServiceError/unknownDeployment(_:)``, ``ServiceError/invalidHost(_:)`` for an
    ///   empty host or one with spaces or commas, ``ServiceError/fileWriteFailed(path:reason:)``.
    public func forgetHost(_ name: String, host: String) async throws -> Int {
        _ = try await deployment(name)
        guard !host.isEmpty, !host.contains(where: { $0.isWhitespace || $0 == "," }) else { throw ServiceError.invalidHost(host) }
        let file = root.ssh(name) + "/" + GitAccess.knownHostsName
        let text = (try? String(contentsOfFile: file, encoding: .utf8)) ?? ""
        var kept: [Substring] = []
        var removed = 0
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let hosts = line.split(separator: " ", maxSplits: 1).first.map { $0.split(separator: ",") } ?? []
            let matches = hosts.contains { entry in entry == host || (entry.hasPrefix("[\(host)]:")) }
            if matches { removed += 1 } else { kept.append(line) }
        }
        if removed > 0 {
            try AtomicFile.write(Data(kept.joined(separator: "\n").utf8), to: file, mode: 0o644)
            try? await store.recordEvent(deployment: name, kind: "forget-host", message: "forgot the host key(s) of \(host)")
        }
        return removed
    }
}
