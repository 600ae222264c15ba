import Docker
import Foundation

extension DeploymentEngine {
    /// Removes a deployment (its subtree must already be stopped, ``DaemonTree/removeDeployment(_:)``):
    /// brings its containers down unless `keepContainers`, then deletes its record, status,
    /// parameters and deploy key in one transaction, closes its agent socket and deletes its
    /// checkout and ssh files. The images Compose built for it (`stevedore-NAME-SERVICE`, and
    /// earlier builds of them) are removed with the containers. `data/` and `logs/` are kept
    /// unless empty (user data is never deleted implicitly). If `compose down` fails nothing
    /// is deleted and the error is thrown.
    ///
    /// - Throws: ``ServiceError/unknownDeployment(_:)``, ``ServiceError/engineUnavailable(action:detail:)``
    ///   (the engine does not answer and the containers were to be brought down; nothing is
    ///   deleted), `ProcessError` of `compose down`.
    public func remove(_ name: String, keepContainers: Bool) async throws -> RemoveRepositoryResponse {
        _ = try await deployment(name)
        return try await locks.withLock(name) {
            var images: (removed: [String], kept: [String]) = ([], [])
            if !keepContainers {
                // Without the engine nothing can be brought down: refuse before anything is
                // deleted, naming the way out (a Compose error 500 before).
                do {
                    _ = try await self.docker.ping()
                } catch let error as DockerError {
                    throw ServiceError.engineUnavailable(
                        action:
                            "cannot remove \(name): its containers cannot be brought down while the Docker engine is unreachable (start it and try again, or remove with --keep-containers and run `docker compose -p \(Self.projectName(name)) down` later); nothing was deleted",
                        detail: "\(error)")
                }
                let projectName = Self.projectName(name)
                let services = Set(((try? await self.docker.containers(project: projectName)) ?? []).compactMap(\.service))
                if let project = try? await self.composeProject(name) {
                    try await self.compose.down(project)
                } else {
                    try await self.compose.down(projectName: Self.projectName(name))
                }
                images = await self.removeBuiltImages(project: projectName, services: services.sorted())
            }
            try await self.store.removeDeployment(name)
            await self.pipelines.remove(name)
            await self.agents?.stop(name)
            var deleted: [String] = []
            let fm = FileManager.default
            GitClient.removeInterruptedClones(of: self.root.repo(name))
            for path in [self.root.repo(name), self.root.ssh(name), self.root.syncMarker(name)] where fm.fileExists(atPath: path) {
                do {
                    try fm.removeItem(atPath: path)
                    deleted.append(path)
                } catch {
                    self.logger.warning("cannot delete", metadata: ["path": "\(path)", "error": "\(error)"])
                }
            }
            // Empty data/logs directories (and then the deployment's directory) go too; anything
            // with content stays.
            for path in [self.root.data(name), self.root.logs(name), self.root.deployment(name)]
            where (try? fm.contentsOfDirectory(atPath: path))?.isEmpty == true {
                try? fm.removeItem(atPath: path)
            }
            let kept = [self.root.data(name), self.root.logs(name)].filter { fm.fileExists(atPath: $0) }
            try? await self.store.recordEvent(
                deployment: nil, kind: "repo-remove",
                message: "removed \(name) (containers \(keepContainers ? "kept" : "removed"))")
            self.logger.notice(
                "deployment removed", metadata: ["deployment": "\(name)", "containers": "\(keepContainers ? "kept" : "removed")"])
            return RemoveRepositoryResponse(
                deployment: name, containers: keepContainers ? "kept" : "removed", deleted: deleted, kept: kept,
                imagesRemoved: images.removed, imagesKept: images.kept)
        }
    }

    /// Removes the images Compose built for `project` (``DockerEngine/builtImages(project:services:)``);
    /// a failure is logged and reported, never thrown (the deployment is gone either way).
    ///
    /// - Returns: the ids removed, and `id: reason` for those the engine refused.
    private func removeBuiltImages(project: String, services: [String]) async -> (removed: [String], kept: [String]) {
        let ids: [String]
        do {
            ids = try await docker.builtImages(project: project, services: services)
        } catch {
            logger.warning("cannot list built images", metadata: ["project": "\(project)", "error": "\(error)"])
            return ([], ["images of \(project): \(error)"])
        }
        var removed: [String] = []
        var kept: [String] = []
        for id in ids {
            do {
                try await docker.removeImage(id)
                removed.append(id)
            } catch {
                logger.warning("cannot remove built image", metadata: ["image": "\(id)", "error": "\(error)"])
                kept.append("\(id): \(error)")
            }
        }
        return (removed, kept)
    }
}
