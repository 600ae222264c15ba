import Foundation
import Hummingbird
import Supervision

/// `POST /api/supervisor/{restart,stop,start,fault}` (docs/API.md): operator actions on one
/// subtree of the running tree, each recorded as an `admin` event with who and when (in the
/// tree's event log and the database's events).
extension AdminAPI {
    /// The actions, for the error message of an unknown one.
    static let supervisorActions = ["restart", "stop", "start", "fault"]

    func addSupervisorRoutes(to api: RouterGroup<BasicRequestContext>) {
        api.post("supervisor/:action") { request, context in
            let action = try context.parameters.require("action")
            guard Self.supervisorActions.contains(action) else {
                throw APIError(.notFound, "unknown supervisor action '\(action)': use \(Self.supervisorActions.joined(separator: ", "))")
            }
            if action == "fault" {
                let body = try await decodeBody(FaultRequest.self, request)
                return try json(try await injectFault(body), status: .accepted)
            }
            let body = try await decodeBody(SupervisorActionRequest.self, request)
            return try json(try await act(action, body))
        }
    }

    private func act(_ action: String, _ body: SupervisorActionRequest) async throws -> SupervisorActionResponse {
        let path = body.path.trimmingCharacters(in: CharacterSet(charactersIn: "/"))
        let actor = Self.actorName(body.actor)
        func refuse(_ message: String) async -> APIError {
            await tree.root.recordAdminEvent(path: path.isEmpty ? "root" : path, detail: "\(action) by \(actor) refused: \(message)")
            return APIError(.conflict, message)
        }
        if path.isEmpty || path == "root" {
            throw await refuse(
                action == "stop"
                    ? DaemonTree.unstoppable["root"]!
                    : "the root cannot be \(action)ed through the API; restart the daemon (`systemctl restart stevedore`)")
        }
        if action == "stop", let reason = DaemonTree.unstoppable[path] {
            throw await refuse("refusing to stop '\(path)': \(reason)")
        }
        if action == "restart", path == "http" {
            // This request is served by the server it restarts: a graceful stop would wait for
            // this very request. Answer first, restart right after.
            Task.detached { [self] in
                try? await Task.sleep(for: .milliseconds(200))
                do {
                    try await perform(action, path: path, by: actor)
                } catch {
                    logger.error("restart of http failed", metadata: ["by": "\(actor)", "error": "\(error)"])
                }
            }
            return SupervisorActionResponse(
                path: path, action: action, by: actor, at: Date().timeIntervalSince1970,
                node: nil, note: "the admin API restarts right after this answer")
        }
        do {
            try await perform(action, path: path, by: actor)
        } catch let error as SupervisorError {
            throw Self.apiError(error)
        }
        return SupervisorActionResponse(
            path: path, action: action, by: actor, at: Date().timeIntervalSince1970,
            node: await tree.status().find(path: path))
    }

    /// Asks the tree, then records the action in the database's events and the log.
    private func perform(_ action: String, path: String, by actor: String) async throws {
        switch action {
        case "restart": try await tree.root.restart(path: path, by: actor)
        case "stop": try await tree.root.stop(path: path, by: actor)
        default: try await tree.root.start(path: path, by: actor)
        }
        try? await engine.store.recordEvent(deployment: nil, kind: "supervisor", message: "\(action) \(path) by \(actor)")
        logger.notice("supervisor action", metadata: ["action": "\(action)", "path": "\(path)", "by": "\(actor)"])
    }

    private func injectFault(_ body: FaultRequest) async throws -> FaultResponse {
        guard tree.faults.isEnabled else { throw APIError(.forbidden, FaultInjectionError.disabled.description) }
        guard let fault = InjectedFault(rawValue: body.fault) else {
            throw APIError(.badRequest, "invalid fault '\(body.fault)': use \(InjectedFault.allowed)")
        }
        let path = body.path.trimmingCharacters(in: CharacterSet(charactersIn: "/"))
        let actor = Self.actorName(body.actor)
        do {
            try tree.faults.inject(fault, at: path)
        } catch let FaultInjectionError.notInjectable(_, injectable) {
            var error = APIError(.notFound, FaultInjectionError.notInjectable(path, injectable: injectable).description)
            error.validPaths = injectable
            throw error
        } catch let FaultInjectionError.notCrashLooping(_, crashLooping) {
            var error = APIError(.notFound, FaultInjectionError.notCrashLooping(path, crashLooping: crashLooping).description)
            error.validPaths = crashLooping
            throw error
        }
        let what = fault == .clear ? "crash loop cleared" : "fault \(fault.rawValue) injected"
        await tree.root.recordAdminEvent(path: path, detail: "\(what) by \(actor)")
        try? await engine.store.recordEvent(
            deployment: nil, kind: "supervisor", message: "\(what) at \(path) by \(actor)")
        return FaultResponse(path: path, fault: fault.rawValue, by: actor, at: Date().timeIntervalSince1970)
    }

    /// `cli:root`-style names only; anything else becomes `api`.
    static func actorName(_ given: String?) -> String {
        guard let given, !given.isEmpty, given.count <= 64,
            given.unicodeScalars.allSatisfy({ $0.isASCII && $0.value > 0x20 && $0.value < 0x7f })
        else { return "api" }
        return given
    }

    /// Maps the supervisor's refusals to HTTP: unknown path 404 (with the valid paths),
    /// conflicts (running, restarting, stuck) 409, a supervisor that stopped 503, a refused
    /// child spec (`bad_combination`) 400.
    static func apiError(_ error: SupervisorError) -> APIError {
        switch error {
        case .invalidPath(_, let valid):
            var api = APIError(.notFound, error.description)
            api.validPaths = valid
            return api
        case .running, .restarting, .stuck, .alreadyPresent, .alreadyStarted, .alreadyRunning, .parentNotRunning:
            return APIError(.conflict, error.description)
        case .notRunning, .restartIntensityExceeded, .startFailed:
            return APIError(.serviceUnavailable, error.description)
        case .notFound:
            return APIError(.notFound, error.description)
        case .badCombination:
            return APIError(.badRequest, error.description)
        }
    }
}
