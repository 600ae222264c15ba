import Foundation
import Hummingbird

/// Webhook routes (docs/API.md, "Webhooks"): `POST /hooks/{github,gitea,gitlab}/NAME`
/// (no admin key: each delivery is verified with the deployment's own secret), and the
/// secret's admin routes `GET /api/repos/NAME/webhook`, `POST /api/repos/NAME/webhook/rotate`.
extension AdminAPI {
    /// Largest accepted delivery body (GitHub caps payloads at 25 MB; pushes are far smaller).
    static let webhookBodyLimit = 5 << 20

    func addWebhookRoutes(to router: Router<BasicRequestContext>, api: RouterGroup<BasicRequestContext>) {
        router.post("/hooks/:provider/:name") { request, context in
            let providerName = try context.parameters.require("provider")
            guard let provider = WebhookProvider(rawValue: providerName) else {
                throw APIError(
                    .notFound,
                    "unknown webhook provider '\(providerName)'; allowed: \(WebhookProvider.allCases.map(\.rawValue).joined(separator: ", "))"
                )
            }
            let name = try self.name(context)
            let record = try await engine.deployment(name)
            guard let secret = try await engine.store.webhookSecret(of: name) else {
                throw APIError(
                    .unauthorized,
                    "'\(name)' has no webhook secret yet: run `stevedore repo webhook \(name)` and configure the hook with it")
            }
            let body = Data(try await request.body.collect(upTo: Self.webhookBodyLimit).readableBytesView)
            var headers: [String: String] = [:]
            for field in request.headers { headers[field.name.canonicalName] = field.value }
            let delivery: WebhookDelivery
            do {
                delivery = try WebhookVerifier.verify(provider, headers: headers, body: body, secret: secret)
            } catch let error as WebhookError {
                // Anyone who reaches the port can send these: logged and recorded at most once a
                // minute per deployment (with how many were refused meanwhile), so they cannot
                // flood the log or grow the database.
                if let suppressed = webhookRefusals.admit(name) {
                    let more = suppressed > 0 ? " (\(suppressed) more refused in the last minute)" : ""
                    logger.warning(
                        "webhook refused",
                        metadata: [
                            "deployment": "\(name)", "provider": "\(provider.rawValue)", "error": "\(error)", "suppressed": "\(suppressed)",
                        ])
                    try? await engine.store.recordEvent(
                        deployment: name, kind: "webhook", message: "refused \(provider.rawValue) delivery: \(error)\(more)")
                }
                switch error {
                case .malformedPayload: throw APIError(.badRequest, error.description)
                default: throw APIError(.unauthorized, error.description)
                }
            }
            if let id = delivery.deliveryId, try await !engine.store.recordDelivery(name, id: "\(provider.rawValue):\(id)") {
                return try json(
                    WebhookResponse(
                        status: "duplicate", deployment: name, message: "delivery \(id) was already received; ignored",
                        commit: delivery.after))
            }
            guard delivery.event == "push" else {
                return try json(
                    WebhookResponse(
                        status: "ignored", deployment: name,
                        message: "event '\(delivery.event)' is not a push; nothing to do", commit: nil))
            }
            guard delivery.ref == "refs/heads/\(record.branch)" else {
                return try json(
                    WebhookResponse(
                        status: "ignored", deployment: name,
                        message: "push to \(delivery.ref ?? "?"); this deployment follows refs/heads/\(record.branch)",
                        commit: delivery.after))
            }
            guard record.enabled else {
                return try json(
                    WebhookResponse(
                        status: "ignored", deployment: name,
                        message: "paused by `deploy down`; `stevedore deploy up \(name)` resumes it", commit: delivery.after))
            }
            let number = await engine.pipelines.submit(name, RunRequest(trigger: "webhook:\(provider.rawValue)"))
            logger.info(
                "webhook triggered a deploy",
                metadata: [
                    "deployment": "\(name)", "provider": "\(provider.rawValue)",
                    "delivery": "\(delivery.deliveryId ?? "-")", "job": "\(number)",
                ])
            return try json(
                WebhookResponse(
                    status: "triggered", deployment: name, message: "deploy requested (job \(number))",
                    commit: delivery.after), status: .accepted)
        }
        api.get("repos/:name/webhook") { request, context in
            try json(try await webhookInfo(try self.name(context), request: request, rotate: false))
        }
        api.post("repos/:name/webhook/rotate") { request, context in
            try json(try await webhookInfo(try self.name(context), request: request, rotate: true))
        }
    }

    private func webhookInfo(_ name: String, request: Request, rotate: Bool) async throws -> WebhookInfo {
        let record = try await engine.deployment(name)
        var secret = try await engine.store.webhookSecret(of: name)
        var created = false
        if secret == nil || rotate {
            let fresh = WebhookVerifier.newSecret()
            guard try await engine.store.setWebhookSecret(name, fresh) else { throw ServiceError.unknownDeployment(name) }
            try? await engine.store.recordEvent(deployment: name, kind: "webhook", message: rotate ? "secret rotated" : "secret created")
            secret = fresh
            created = true
            await tree.logStreamer?.refresh()
        }
        let base = publicURL ?? "http://" + (request.head.authority ?? "HOST:\(DaemonConfiguration.defaultPort)")
        var urls: [String: String] = [:]
        for provider in WebhookProvider.allCases { urls[provider.rawValue] = "\(base)/hooks/\(provider.rawValue)/\(name)" }
        return WebhookInfo(deployment: name, branch: record.branch, secret: secret ?? "", urls: urls, created: created)
    }
}
