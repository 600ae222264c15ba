// Beyond OTP: operator actions by path (OTP's runtime API addressed through the tree).

/// Operator actions by path (`stevedore supervisor restart|stop|start PATH`): each acts on one
/// subtree and is recorded as an ``SupervisorEvent/Kind/admin`` event (`"<verb> by <actor>"`,
/// or `"<verb> by <actor> refused: <error>"` when the supervisor refused it).
extension Supervisor {
    /// Stops and starts again the node at `path` (relative to this supervisor, e.g.
    /// `deployments/hello/poller`), whether it was running or not.
    ///
    /// - Parameter actor: who asked, for the event (e.g. `cli`, `api`).
    /// - Throws: ``SupervisorError/invalidPath(_:valid:)`` listing the valid paths.
    public func restart(path: String, by actor: String = "operator") async throws {
        try await act(on: path, verb: "restart", by: actor) { sup, id in try await sup.request(.bounce(id)) }
    }

    /// Stops the node at `path` and keeps it stopped until ``start(path:by:)``.
    ///
    /// - Throws: ``SupervisorError/invalidPath(_:valid:)``.
    public func stop(path: String, by actor: String = "operator") async throws {
        try await act(on: path, verb: "stop", by: actor) { sup, id in try await sup.request(.terminate(id)) }
    }

    /// Starts the stopped node at `path`.
    ///
    /// - Throws: ``SupervisorError/invalidPath(_:valid:)``, ``SupervisorError/running(_:)``.
    public func start(path: String, by actor: String = "operator") async throws {
        try await act(on: path, verb: "start", by: actor) { sup, id in try await sup.request(.restart(id)) }
    }

    private func act(
        on path: String, verb: String, by actor: String,
        _ body: @Sendable (Supervisor, String) async throws -> Void
    ) async throws {
        let components = path.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        func invalid() async -> SupervisorError {
            let error = SupervisorError.invalidPath(path, valid: await validPaths())
            emit(.admin, String(path.prefix(200)), "\(verb) by \(actor) refused: no such node")
            return error
        }
        guard !components.isEmpty, !components.contains(where: \.isEmpty) else { throw await invalid() }
        var owner = self
        for component in components.dropLast() {
            guard let nested = await owner.nestedSupervisor(component) else { throw await invalid() }
            owner = nested
        }
        guard await owner.childIDs.contains(components.last!) else { throw await invalid() }
        if owner !== self, !(await owner.acceptsChildActions) {
            let parent = String(path.split(separator: "/").dropLast().joined(separator: "/"))
            let full = self.path.isEmpty ? parent : "\(self.path)/\(parent)"
            let state = await status().find(path: full)?.state.rawValue ?? "stopped"
            let error = SupervisorError.parentNotRunning(path: path, parent: parent, state: state)
            emit(.admin, path, "\(verb) by \(actor) refused: \(error)")
            throw error
        }
        do {
            try await body(owner, components.last!)
            emit(.admin, path, "\(verb) by \(actor)")
        } catch {
            emit(.admin, path, "\(verb) by \(actor) refused: \(error)")
            throw error
        }
    }

    /// Records an operator action that is not a restart/stop/start (e.g. an injected fault)
    /// as an ``SupervisorEvent/Kind/admin`` event on `path`.
    public func recordAdminEvent(path: String, detail: String) {
        emit(.admin, path, detail)
    }

    private func nestedSupervisor(_ id: String) -> Supervisor? { record(id)?.spec.supervisor }

    /// Whether actions on this supervisor's children can take effect: it is running or
    /// starting (while stopped, failed or waiting for a revival nothing would start them).
    var acceptsChildActions: Bool { phase == .running || phase == .starting }

    /// Every node path below this supervisor, depth first.
    public func validPaths() async -> [String] {
        await status().flattened.map(\.path).filter { !$0.isEmpty }.map {
            path.isEmpty ? $0 : String($0.dropFirst(path.count + 1))
        }
    }
}
