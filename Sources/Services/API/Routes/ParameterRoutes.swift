import Foundation
import Hummingbird
import Redaction

/// Parameter routes (docs/API.md): `GET /api/deployments/NAME/params`,
/// `GET|PUT|DELETE /api/deployments/NAME/params/KEY`. Changing one never redeploys: the answer
/// says to run `deploy up`.
extension AdminAPI {
    func addParameterRoutes(to api: RouterGroup<BasicRequestContext>) {
        api.get("deployments/:name/params") { _, context in
            let name = try self.name(context)
            _ = try await engine.deployment(name)
            return try json(ParameterListResponse(deployment: name, keys: try await engine.store.parameters(of: name).keys.sorted()))
        }
        api.get("deployments/:name/params/:key") { _, context in
            let (name, key) = try parameterPath(context)
            _ = try await engine.deployment(name)
            guard let value = try await engine.store.parameters(of: name)[key] else {
                throw ServiceError.unknownParameter(deployment: name, key: key)
            }
            return try json(ParameterValueResponse(deployment: name, key: key, value: value))
        }
        api.put("deployments/:name/params/:key") { request, context in
            let (name, key) = try parameterPath(context)
            let body = try await decodeBody(SetParameterRequest.self, request)
            try Validation.parameterValue(body.value, key: key)
            let previous = try await engine.store.parameters(of: name)[key]
            let wasPublic = try await engine.store.publicParameterKeys(of: name).contains(key)
            let isPublic = body.public ?? false
            guard try await engine.store.setParameter(name, key: key, value: body.value, isPublic: isPublic) else {
                throw ServiceError.unknownDeployment(name)
            }
            // Marking a value public (or secret again) changes what the logs show: a change too.
            let changed = previous != body.value || (previous != nil && wasPublic != isPublic)
            if changed { try? await engine.store.recordEvent(deployment: name, kind: "param", message: "set \(key)") }
            await tree.logStreamer?.refresh()
            var notice: String?
            if isPublic {
                notice = "\(key) is public: it may appear in logs (not redacted)"
            } else if body.value.utf8.count < SecretForms.minimumLength {
                notice =
                    "\(key) is \(body.value.utf8.count) bytes long: values under \(SecretForms.minimumLength) bytes are not redacted from logs (too many false matches); use a longer secret, or --public if it is not one"
            }
            return try json(
                ParameterChangeResponse(
                    deployment: name, key: key, action: "set", changed: changed,
                    hint: Self.applyHint(name, changed, failedCommit: try await engine.store.status(of: name).failedCommit),
                    notice: notice))
        }
        api.delete("deployments/:name/params/:key") { _, context in
            let (name, key) = try parameterPath(context)
            _ = try await engine.deployment(name)
            guard try await engine.store.unsetParameter(name, key: key) else {
                throw ServiceError.unknownParameter(deployment: name, key: key)
            }
            try? await engine.store.recordEvent(deployment: name, kind: "param", message: "unset \(key)")
            await tree.logStreamer?.refresh()
            return try json(
                ParameterChangeResponse(
                    deployment: name, key: key, action: "unset", changed: true,
                    hint: Self.applyHint(name, true, failedCommit: try await engine.store.status(of: name).failedCommit)))
        }
    }

    private func parameterPath(_ context: BasicRequestContext) throws -> (String, String) {
        let key = try context.parameters.require("key")
        try Validation.parameterName(key)
        return (try name(context), key)
    }

    static func applyHint(_ name: String, _ changed: Bool, failedCommit: String? = nil) -> String {
        guard changed else { return "unchanged; nothing to apply" }
        if let failedCommit {
            return
                "not applied yet: run `stevedore deploy up \(name) --force` to retry commit \(failedCommit.prefix(12)) (it failed before) with it, or `stevedore deploy up \(name)` for the running commit"
        }
        return "not applied yet: run `stevedore deploy up \(name)` to recreate the containers with it"
    }
}
