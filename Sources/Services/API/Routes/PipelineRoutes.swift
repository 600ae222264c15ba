import Docker
import Foundation
import Hummingbird
import Store

/// `POST /api/deployments/NAME/up` (a pipeline run, waited for) and
/// `GET /api/deployments/NAME/history` (docs/API.md).
extension AdminAPI {
    /// Body of `POST /api/deployments/NAME/up` (optional).
    public struct UpRequest: Codable, Sendable {
        /// Retry the commit that failed last time.
        public var force: Bool?
        /// `cli` or `api` (default), recorded in the history.
        public var trigger: String?

        /// A request (see the properties).
        public init(force: Bool? = nil, trigger: String? = nil) {
            self.force = force
            self.trigger = trigger
        }
    }

    func addPipelineRoutes(to api: RouterGroup<BasicRequestContext>) {
        api.post("deployments/:name/up") { request, context in
            let name = try self.name(context)
            let buffer = try await collectBody(request, upTo: 1 << 16)
            var body = UpRequest()
            if buffer.readableBytes > 0 {
                do {
                    body = try JSONLimits.decode(UpRequest.self, from: Data(buffer.readableBytesView), with: APICoding.decoder())
                } catch {
                    throw APIError(.badRequest, "malformed JSON body: \(APICoding.describe(error))")
                }
            }
            let trigger = body.trigger ?? "api"
            guard ["cli", "api"].contains(trigger) else {
                throw APIError(.badRequest, "invalid trigger '\(trigger)'; allowed: cli, api")
            }
            _ = try await engine.deployment(name)
            // Waiting on a pipeline nobody runs would hang until the client gives up.
            let path = "deployments/\(name)/\(PipelineWorker.id)"
            let snapshot = await tree.status()
            if let subtree = snapshot.find(path: "deployments/\(name)"), ![.running, .degraded, .starting].contains(subtree.state) {
                let advice =
                    subtree.state == .backoff
                    ? "it gave up after too many restarts and starts again on its own in \(Int(subtree.nextRestartInSeconds ?? 0)) s; "
                        + "see why with `stevedore status \(name)`, and once the cause is fixed `stevedore supervisor restart deployments/\(name)` starts it now"
                    : "it is \(subtree.state.rawValue); start it with `stevedore supervisor start deployments/\(name)`"
                throw APIError(
                    .serviceUnavailable, "no deploy can run while the supervision subtree of '\(name)' is not running: \(advice)")
            }
            if let node = snapshot.find(path: path), [.stopped, .stuck, .failed].contains(node.state) {
                throw APIError(
                    .serviceUnavailable,
                    "the pipeline of '\(name)' is \(node.state.rawValue), so no deploy can run; start it with `stevedore supervisor start \(path)`"
                )
            }
            let result = try await engine.up(name, force: body.force ?? false, trigger: trigger)
            guard result.isSuccess else {
                throw APIError(.conflict, Self.describe(result))
            }
            return try json(result)
        }
        api.get("deployments/:name/history") { request, context in
            let name = try self.name(context)
            _ = try await engine.deployment(name)
            let limitText = request.uri.queryParameters.get("limit") ?? "20"
            guard let limit = Int(limitText), (1...1000).contains(limit) else {
                throw APIError(.badRequest, "invalid limit '\(limitText)'; allowed: 1 to 1000")
            }
            return try json(try await engine.store.runs(of: name, limit: limit))
        }
    }

    /// One paragraph for a run that did not succeed: outcome, commits, reason.
    static func describe(_ result: RunResult) -> String {
        let commit = result.commit.map { String($0.prefix(12)) } ?? "the newest commit"
        let running =
            result.runningCommit.map { "; running: \($0.prefix(12))" }
            ?? "; no healthy commit runs (see `stevedore status \(result.deployment)`)"
        let what: String =
            switch result.outcome {
            case RunOutcome.rolledBack: "deploy of \(commit) was rolled back"
            case RunOutcome.refused: "deploy of \(commit) was refused"
            case RunOutcome.skipped: "deploy of \(commit) was skipped"
            case RunOutcome.interrupted: "deploy of \(commit) was interrupted"
            default: "deploy of \(commit) failed"
            }
        return "\(what)\(running): \(result.reason ?? "no reason recorded") (history: `stevedore history \(result.deployment)`)"
    }
}
