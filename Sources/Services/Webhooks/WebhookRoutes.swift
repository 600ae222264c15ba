import Foundation
import Hummingbird
import Logging
import Store

/// Webhook routes (docs/API.md, "Webhooks"): `POST /hooks/{github,gitea,gitlab}/NAME`
/// (no admin key: each delivery is verified with the deployment's own secret), and the
/// secret's admin routes `GET /api/repos/NAME/webhook`, `POST /api/repos/NAME/webhook/rotate`.
extension AdminAPI {
    /// Whose refusals are counted together in the refusal log: one deployment's deliveries
    /// from one provider; deliveries to names that are no deployment, per provider.
    struct WebhookRefusalKey: Hashable, Sendable {
        /// `nil`: not a deployment (the name is the sender's choice, so it is not a key).
        var deployment: String?
        var provider: WebhookProvider
    }

    /// Seconds between two reports of one ``WebhookRefusalKey``.
    static let webhookRefusalInterval = 60

    /// What the sender of a delivery to a name that is no deployment (or to one without a
    /// secret yet) is checked against, so that it gets the answers a wrong secret gets:
    /// random, never stored, never shown.
    static let decoySecret = WebhookVerifier.newSecret()

    /// Logs a refusal and records it as an event of its deployment (of none, for names that
    /// are no deployment).
    static func webhookRefusalReporter(store: StateStore, logger: Logger)
        -> @Sendable (
            WebhookRefusalKey, RateLimitedLog<WebhookRefusalKey>.Report
        ) async -> Void
    {
        { key, report in
            let provider = key.provider.rawValue
            let text: String
            switch report {
            case .first(let message): text = "refused \(provider) delivery: \(message)"
            case .heldBack(let count, let last):
                text =
                    "refused \(count) more \(provider) deliver\(count == 1 ? "y" : "ies") in the last \(webhookRefusalInterval) s (the last: \(last))"
            }
            logger.warning(
                "webhook refused", metadata: ["deployment": "\(key.deployment ?? "-")", "provider": "\(provider)", "refusal": "\(text)"])
            try? await store.recordEvent(deployment: key.deployment, kind: "webhook", message: text)
        }
    }

    func addWebhookRoutes(to router: Router<BasicRequestContext>, api: RouterGroup<BasicRequestContext>) {
        router.post("/hooks/:provider/:name") { request, context in
            try await receiveWebhook(request, context)
        }
        api.get("repos/:name/webhook") { request, context in
            try json(try await webhookInfo(try self.name(context), request: request, rotate: false))
        }
        api.post("repos/:name/webhook/rotate") { request, context in
            try json(try await webhookInfo(try self.name(context), request: request, rotate: true))
        }
    }

    /// One delivery: refused on its headers where possible (size, signature format, GitLab's
    /// token) before its body is read, then verified as the body streams in, within
    /// ``WebhookLimits``. A name that is no deployment, or a deployment without a secret, gets
    /// the same answers as a wrong secret, so that names do not leak.
    private func receiveWebhook(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let providerName = try context.parameters.require("provider")
        guard let provider = WebhookProvider(rawValue: providerName) else {
            throw APIError(
                .notFound,
                "unknown webhook provider '\(providerName)'; allowed: \(WebhookProvider.allCases.map(\.rawValue).joined(separator: ", "))"
            )
        }
        let name = try self.name(context)
        let record = try await engine.store.deployment(named: name)
        let secret = record == nil ? nil : try await engine.store.webhookSecret(of: name)
        var headers: [String: String] = [:]
        for field in request.headers { headers[field.name.canonicalName] = field.value }
        let delivery: WebhookDelivery
        do {
            if let length = request.headers[.contentLength].flatMap({ Int($0) }), length > WebhookLimits.maxBodyBytes {
                throw WebhookError.tooLarge
            }
            let verification = try WebhookVerification(provider, headers: headers, secret: secret ?? Self.decoySecret)
            guard webhookDeliveries.tryEnter() else { throw WebhookError.busy }
            defer { webhookDeliveries.leave() }
            delivery = try await Self.read(request.body, into: verification).finish()
        } catch let error as WebhookError {
            let why =
                record == nil
                ? "no deployment is named '\(name)' (answered as any deployment would be: \(error))"
                : secret == nil
                    ? "'\(name)' has no webhook secret yet: run `stevedore repo webhook \(name)` (answered: \(error))"
                    : "\(error)"
            await webhookRefusals.submit(WebhookRefusalKey(deployment: record?.name, provider: provider), why)
            return try Self.refusal(error)
        }
        guard let record else { return try Self.refusal(.badSignature) }  // unreachable: the decoy never matches
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
        let ref = delivery.ref ?? "?"
        let followed = "refs/heads/\(record.branch)"
        if delivery.deleted {
            let message =
                ref == followed
                ? "\(ref) was deleted at the remote: nothing to deploy, the running commit stays (deploys resume when the branch is pushed again)"
                : "\(ref) was deleted; this deployment follows \(followed)"
            return try json(WebhookResponse(status: "ignored", deployment: name, message: message, commit: nil))
        }
        guard ref == followed else {
            return try json(
                WebhookResponse(
                    status: "ignored", deployment: name, message: "push to \(ref); this deployment follows \(followed)",
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

    /// Feeds `body` to `verification` as it arrives, within ``WebhookLimits/bodyTimeoutSeconds``.
    ///
    /// - Throws: ``WebhookError/tooLarge``, ``WebhookError/bodyTimeout``,
    ///   ``WebhookError/incompleteBody`` (the connection's error: a sender that hangs up halfway
    ///   is a refusal like the others, logged at most once a minute, not an error of the daemon).
    private static func read(_ body: RequestBody, into verification: WebhookVerification) async throws -> WebhookVerification {
        try await withThrowingTaskGroup(of: WebhookVerification?.self) { group in
            group.addTask {
                var verification = verification
                do {
                    for try await piece in body { try verification.append(piece.readableBytesView) }
                } catch let error as WebhookError {
                    throw error
                } catch is CancellationError {
                    return nil  // the time is up (the other task)
                } catch {
                    throw WebhookError.incompleteBody
                }
                return verification
            }
            group.addTask {
                try await Task.sleep(for: .seconds(WebhookLimits.bodyTimeoutSeconds))
                return nil
            }
            defer { group.cancelAll() }
            guard let first = try await group.next(), let verification = first else { throw WebhookError.bodyTimeout }
            return verification
        }
    }

    /// The answer to a refused delivery: `{"error": …}` with the status of `error`
    /// (``WebhookError``), and `Retry-After` for ``WebhookError/busy``.
    private static func refusal(_ error: WebhookError) throws -> Response {
        let status: HTTPResponse.Status =
            switch error {
            case .missingSignature, .malformedSignature, .badSignature, .badToken: .unauthorized
            case .tooLarge: .contentTooLarge
            case .busy: .serviceUnavailable
            case .bodyTimeout: .requestTimeout
            case .incompleteBody, .formEncoded, .malformedPayload: .badRequest
            }
        var response = try json(ErrorResponse(error: error.description), status: status)
        if error == .busy { response.headers[.retryAfter] = "\(WebhookLimits.retryAfterSeconds)" }
        return response
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
