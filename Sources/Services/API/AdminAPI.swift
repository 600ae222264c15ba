import Docker
import Foundation
import Hummingbird
import Logging
import NIOCore
import Store
import Supervision

/// Routes of the admin API (docs/API.md): `GET /healthz` without auth; everything under
/// `/api/` requires `Authorization: Bearer <admin key>`.
public struct AdminAPI: Sendable {
    let engine: DeploymentEngine
    let tree: DaemonTree
    let adminKey: String
    let defaultPollIntervalSeconds: Int
    let publicURL: String?
    /// Refused webhook deliveries, logged at most once a minute per deployment and provider.
    let webhookRefusals: RateLimitedLog<WebhookRefusalKey>
    /// Webhook bodies being read (``WebhookLimits/maxConcurrentDeliveries``).
    let webhookDeliveries = ConcurrencyLimit(limit: WebhookLimits.maxConcurrentDeliveries)
    let logger: Logger

    /// - Parameters:
    ///   - adminKey: the bearer key every `/api/` request must present.
    ///   - defaultPollIntervalSeconds: poll interval of repositories added without one.
    ///   - publicURL: base of the webhook URLs shown by `repo webhook` (`STEVEDORE_PUBLIC_URL`);
    ///     `nil`: the `Host` the request came to.
    public init(
        engine: DeploymentEngine, tree: DaemonTree, adminKey: String, defaultPollIntervalSeconds: Int,
        publicURL: String? = nil, logger: Logger
    ) {
        self.publicURL = publicURL
        self.engine = engine
        self.tree = tree
        self.adminKey = adminKey
        self.defaultPollIntervalSeconds = defaultPollIntervalSeconds
        self.logger = logger
        webhookRefusals = RateLimitedLog(
            interval: .seconds(Self.webhookRefusalInterval), emit: Self.webhookRefusalReporter(store: engine.store, logger: logger))
    }

    /// Builds the router.
    public func router() -> Router<BasicRequestContext> {
        let router = Router()
        router.add(middleware: JSONErrorMiddleware())
        router.get("/healthz") { _, _ in
            let health = HealthResponse.from(
                tree: await tree.status(), version: StevedoreVersion.current,
                staleHeartbeatSeconds: tree.timing.livenessDeadline.seconds * 2)
            return try json(health, status: health.status == "unhealthy" ? .serviceUnavailable : .ok)
        }
        let api = router.group("api").add(middleware: BearerAuthMiddleware(key: adminKey))
        api.get("status") { _, _ in
            var views: [DeploymentView] = []
            let snapshot = await tree.status()  // once for all deployments
            for record in try await engine.store.deployments() {
                views.append(try await view(record, tree: snapshot))
            }
            return try json(views)
        }
        api.get("status/:name") { _, context in
            try json(try await view(try await engine.deployment(try name(context)), tree: await tree.status()))
        }
        api.get("supervisor") { _, _ in try json(await tree.status()) }
        api.get("supervisor/events") { request, _ in
            let limit = request.uri.queryParameters.get("limit").flatMap(Int.init) ?? 100
            return try json(Array(tree.events.recent.suffix(min(max(limit, 1), 1024))))
        }
        addSupervisorRoutes(to: api)
        addRepositoryRoutes(to: api)
        addParameterRoutes(to: api)
        addWebhookRoutes(to: router, api: api)
        addPipelineRoutes(to: api)
        addLogRoutes(to: api)
        api.get("events") { request, _ in
            let deployment = request.uri.queryParameters.get("deployment")
            let limit = request.uri.queryParameters.get("limit").flatMap(Int.init) ?? 50
            return try json(try await engine.store.events(deployment: deployment, limit: min(max(limit, 1), 1000)))
        }
        api.post("deployments/:name/sync") { _, context in
            let name = try name(context)
            let commit = try await engine.sync(name)
            return try json(ActionResponse(deployment: name, action: "sync", commit: commit, message: "synced \(commit.prefix(12))"))
        }
        api.post("deployments/:name/down") { _, context in
            let name = try name(context)
            try await engine.down(name)
            return try json(
                ActionResponse(
                    deployment: name, action: "down", commit: nil,
                    message: "containers removed; paused until `deploy up`"))
        }
        return router
    }

    /// Decodes a JSON body with the API's snake_case coders (Hummingbird's default decoder
    /// would silently drop `poll_interval`).
    func decodeBody<T: Decodable>(_ type: T.Type, _ request: Request) async throws -> T {
        let buffer = try await collectBody(request, upTo: 1 << 20)
        do {
            return try JSONLimits.decode(T.self, from: Data(buffer.readableBytesView), with: APICoding.decoder())
        } catch {
            throw APIError(.badRequest, "malformed JSON body: \(APICoding.describe(error))")
        }
    }

    /// The whole body of `request`, at most `limit` bytes.
    ///
    /// - Throws: ``APIError`` 413 naming `limit` (NIO's error names what was left of it after
    ///   the first piece, which differs from request to request).
    func collectBody(_ request: Request, upTo limit: Int) async throws -> ByteBuffer {
        do {
            return try await request.body.collect(upTo: limit)
        } catch is NIOTooManyBytesError {
            throw APIError(.contentTooLarge, "request body too large: at most \(limit) bytes")
        }
    }

    /// One deployment's view; `tree` is a snapshot of the supervision tree (its subtree's state).
    private func view(_ record: DeploymentRecord, tree: NodeStatus) async throws -> DeploymentView {
        DeploymentView(
            record: record, status: try await engine.store.status(of: record.name), health: await engine.health(record.name),
            lastRun: try await engine.store.runs(of: record.name, limit: 1).first,
            pipeline: await engine.pipelines.state(record.name),
            subtree: tree.find(path: "deployments/\(record.name)"))
    }

    func name(_ context: BasicRequestContext) throws -> String {
        let name = try context.parameters.require("name")
        try Validation.deploymentName(name)
        return name
    }
}

/// Encodes `value` as a JSON response.
func json(_ value: some Encodable, status: HTTPResponse.Status = .ok) throws -> Response {
    var data = try APICoding.encoder().encode(value)
    data.append(0x0a)
    return Response(
        status: status, headers: [.contentType: "application/json; charset=utf-8"],
        body: .init(byteBuffer: ByteBuffer(bytes: data)))
}

/// Turns every thrown error into `{"error": "..."}` with a fitting status (``APIError/from(_:)``).
struct JSONErrorMiddleware: RouterMiddleware {
    typealias Context = BasicRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            let api = APIError.from(error)
            if api.status.code >= 500 {
                context.logger.error("request failed", metadata: ["path": "\(request.uri.path)", "error": "\(api.message)"])
            }
            return try json(ErrorResponse(error: api.message, validPaths: api.validPaths), status: api.status)
        }
    }
}

/// Requires `Authorization: Bearer <admin key>`; anything else is 401.
struct BearerAuthMiddleware: RouterMiddleware {
    typealias Context = BasicRequestContext
    let key: String

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let header = request.headers[.authorization] else {
            throw APIError(
                .unauthorized,
                "missing Authorization header: send `Authorization: Bearer <admin key>` (the key is in <root>/system/admin.key)")
        }
        let prefix = "Bearer "
        guard header.hasPrefix(prefix), AdminKey.matches(String(header.dropFirst(prefix.count)), key) else {
            throw APIError(.unauthorized, "invalid admin key (compare with <root>/system/admin.key)")
        }
        return try await next(request, context)
    }
}
