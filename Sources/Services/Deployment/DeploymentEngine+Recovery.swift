import Docker
import Foundation

extension DeploymentEngine {
    /// Puts right, before anything runs, what a daemon that died (SIGKILL, a power cut) can
    /// leave behind in the state root:
    /// - the checkout, ssh files, sync marker and clone leftovers of a directory under
    ///   `deployments/` that is not registered (a `repo remove` cut after its transaction);
    ///   `data/` and `logs/` stay, as `repo remove` keeps them;
    /// - temporary siblings of atomic writes (`.NAME.PID.RANDOM.tmp`, ``AtomicFile``) whose
    ///   writer is gone, in `system/`, each deployment's directory and its `ssh/`.
    ///
    /// Call it only while no pipeline runs (the daemon does, at start).
    ///
    /// - Returns: the paths removed.
    /// - Throws: store errors.
    public func removeLeftoversOfUncleanStop() async throws -> [String] {
        let registered = Set(try await store.deployments().map(\.name))
        let fm = FileManager.default
        var removed: [String] = []
        func remove(_ path: String) {
            guard fm.fileExists(atPath: path) else { return }
            do {
                try fm.removeItem(atPath: path)
                removed.append(path)
            } catch {
                logger.warning("cannot delete a leftover", metadata: ["path": "\(path)", "error": "\(error)"])
            }
        }
        let names = (try? fm.contentsOfDirectory(atPath: root.path + "/deployments")) ?? []
        var directories = [root.system]
        for name in names.sorted() {
            guard !registered.contains(name) else {
                directories += [root.deployment(name), root.ssh(name)]
                continue
            }
            let clones = ((try? fm.contentsOfDirectory(atPath: root.deployment(name))) ?? []).filter { $0.hasPrefix("repo.clone-") }
            for path in [root.repo(name), root.ssh(name), root.syncMarker(name), root.deployment(name) + "/probe"]
                + clones.map({ root.deployment(name) + "/" + $0 })
            {
                remove(path)
            }
            for path in [root.data(name), root.logs(name), root.deployment(name)]
            where (try? fm.contentsOfDirectory(atPath: path))?.isEmpty == true {
                remove(path)
            }
        }
        for directory in directories {
            for entry in (try? fm.contentsOfDirectory(atPath: directory)) ?? [] where AtomicFile.isStaleTemporary(entry) {
                remove(directory + "/" + entry)
            }
        }
        if !removed.isEmpty {
            for directory in Set(removed.map(FileSync.parent(of:))) where fm.fileExists(atPath: directory) {
                FileSync.directory(directory)
            }
        }
        return removed
    }

    /// Asks the pipeline of every deployment whose newest run is `interrupted` (closed by
    /// `StateStore.closeInterruptedRuns()` after a cut, or cancelled by a shutdown) for a run
    /// with trigger ``RunRequest/interruptedTrigger``, explicit if one of those trailing
    /// interrupted runs served an operator's `deploy up`. Kept in the history rather than in
    /// memory, so a daemon cut again before the new run starts asks again at its next start.
    ///
    /// - Returns: the deployments asked for, by name.
    /// - Throws: store errors.
    public func resumeInterruptedRuns() async throws -> [String] {
        var resumed: [String] = []
        for record in try await store.deployments() {
            let trailing = try await store.runs(of: record.name, limit: 20).prefix { $0.outcome == "interrupted" }
            guard !trailing.isEmpty else { continue }
            let explicit = trailing.contains { RunRequest.wasExplicit($0.triggers) }
            await pipelines.submit(record.name, RunRequest(trigger: RunRequest.interruptedTrigger, explicit: explicit))
            resumed.append(record.name)
        }
        return resumed
    }
}
