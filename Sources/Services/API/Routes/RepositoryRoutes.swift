import Docker
import Foundation
import Hummingbird
import Store

/// Repository routes (docs/API.md): `GET/POST /api/repos`, `GET /api/repos/NAME/key`,
/// `DELETE /api/repos/NAME`, `POST /api/repos/NAME/forget-host`,
/// `GET /api/deployments/NAME/check`.
extension AdminAPI {
    func addRepositoryRoutes(to api: RouterGroup<BasicRequestContext>) {
        api.get("repos") { _, _ in try json(try await engine.store.deployments().map(Self.shown)) }
        api.post("repos") { request, _ in
            let body = try await decodeBody(AddRepositoryRequest.self, request)
            return try json(try await addRepository(body), status: .created)
        }
        api.patch("repos/:name") { request, context in
            let name = try self.name(context)
            let body = try await decodeBody(UpdateRepositoryRequest.self, request)
            return try json(Self.shown(try await updateRepository(name, body)))
        }
        api.get("repos/:name/key") { _, context in
            try json(try await deployKey(try self.name(context)))
        }
        api.delete("repos/:name") { request, context in
            let name = try self.name(context)
            let keep = try Validation.flag(request.uri.queryParameters.get("keep_containers").map { String($0) }, name: "keep_containers")
            return try json(try await removeRepository(name, keepContainers: keep))
        }
        api.post("repos/:name/forget-host") { request, context in
            let name = try self.name(context)
            let body = try await decodeBody(ForgetHostRequest.self, request)
            let removed = try await engine.forgetHost(name, host: body.host)
            return try json(ForgetHostResponse(deployment: name, host: body.host, removed: removed))
        }
        api.get("deployments/:name/check") { _, context in
            try json(try await engine.check(try self.name(context)))
        }
    }

    /// Validates and registers a repository with a new Ed25519 deploy key (stored in the same
    /// transaction), serves its agent socket and starts its subtree.
    func addRepository(_ body: AddRepositoryRequest) async throws -> AddRepositoryResponse {
        try Validation.deploymentName(body.name)
        try Validation.repositoryURL(body.url)
        let branch = body.branch ?? "main"
        try Validation.branch(branch)
        let interval =
            try body.pollInterval.map {
                try Validation.durationSeconds($0, name: "poll interval", minimum: Self.minimumPollIntervalSeconds)
            } ?? defaultPollIntervalSeconds
        let record = DeploymentRecord(
            name: body.name, url: body.url, branch: branch, enabled: true,
            pollIntervalSeconds: interval, createdAt: Date().timeIntervalSince1970,
            clean: !(body.noClean ?? false))
        if let agents = engine.agents, agents.socketPath(for: body.name).utf8.count > SSHAgents.maximumSocketPathBytes {
            throw ServiceError.invalidSetting(
                name: "deployment name", value: body.name,
                allowed:
                    "a shorter name: its agent socket \(agents.socketPath(for: body.name)) would exceed the \(SSHAgents.maximumSocketPathBytes)-byte limit of unix socket paths (or a shorter STEVEDORE_RUNTIME_DIR)"
            )
        }
        let key = DeployKey.generate()
        let publicKey = key.openSSHPublicKey(comment: "stevedore:\(body.name)")
        let keyRecord = DeployKeyRecord(
            deployment: body.name, keyType: DeployKey.keyType, privateSeed: key.seed,
            publicKey: publicKey, createdAt: record.createdAt)
        guard try await engine.store.addDeployment(record, deployKey: keyRecord) else { throw ServiceError.deploymentExists(body.name) }
        try? await engine.store.recordEvent(deployment: body.name, kind: "repo-add", message: "added \(body.url) (\(branch))")
        if let agents = engine.agents, await tree.isRunning(SSHAgentWorker.id) {
            do {
                try await agents.serve(body.name, key: key)
            } catch {
                logger.warning(
                    "agent socket not served yet; the ssh-agent child retries",
                    metadata: ["deployment": "\(body.name)", "error": "\(error)"])
            }
        }
        try await tree.addDeployment(body.name)
        return AddRepositoryResponse(
            deployment: Self.shown(record),
            deployKey: DeployKeyResponse(
                deployment: body.name, publicKey: publicKey, github: GitHubHints.hint(url: body.url, name: body.name, publicKey: publicKey))
        )
    }

    /// `record` as the API shows it: the URL without its credentials (`https://user:token@host/…`
    /// → `https://host/…`, ``GitURL/redacted(_:)``); the store keeps the URL as given.
    static func shown(_ record: DeploymentRecord) -> DeploymentRecord {
        var shown = record
        shown.url = GitURL.redacted(record.url)
        return shown
    }

    /// Least poll interval of one deployment, in seconds (a check costs about a second of a
    /// worker container; see `scripts/bench.sh git`).
    static let minimumPollIntervalSeconds = 10

    /// Changes a deployment's settings. A new poll interval takes effect at once: the
    /// deployment's poller is restarted (so it checks now, then at the new interval).
    ///
    /// - Throws: ``ServiceError/unknownDeployment(_:)``, ``ServiceError/invalidDuration(name:value:allowed:)``.
    func updateRepository(_ name: String, _ body: UpdateRepositoryRequest) async throws -> DeploymentRecord {
        _ = try await engine.deployment(name)
        if let text = body.pollInterval {
            let seconds = try Validation.durationSeconds(text, name: "poll interval", minimum: Self.minimumPollIntervalSeconds)
            try await engine.store.setPollInterval(name, seconds: seconds)
            try? await engine.store.recordEvent(deployment: name, kind: "repo-set", message: "poll interval \(seconds) s")
            try? await tree.root.restart(path: "deployments/\(name)/poller", by: "repo set")
        }
        return try await engine.deployment(name)
    }

    /// The public half of a deployment's deploy key, with GitHub hints.
    ///
    /// - Throws: ``ServiceError/unknownDeployment(_:)``, ``ServiceError/noDeployKey(_:)``.
    func deployKey(_ name: String) async throws -> DeployKeyResponse {
        let record = try await engine.deployment(name)
        guard let key = try await engine.store.deployKey(of: name) else { throw ServiceError.noDeployKey(name) }
        return DeployKeyResponse(
            deployment: name, publicKey: key.publicKey,
            github: GitHubHints.hint(url: record.url, name: name, publicKey: key.publicKey))
    }

    /// Stops the deployment's subtree, then removes it (``DeploymentEngine/remove(_:keepContainers:)``).
    /// If the removal fails, the subtree is started again.
    func removeRepository(_ name: String, keepContainers: Bool) async throws -> RemoveRepositoryResponse {
        _ = try await engine.deployment(name)
        try await tree.removeDeployment(name)
        do {
            let removed = try await engine.remove(name, keepContainers: keepContainers)
            await tree.logStreamer?.refresh()
            return removed
        } catch {
            if (try? await engine.store.deployment(named: name)) != nil { try? await tree.addDeployment(name) }
            throw error
        }
    }
}
