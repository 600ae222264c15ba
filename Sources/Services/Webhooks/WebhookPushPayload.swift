import Docker
import Foundation

/// The fields of a push payload the route needs; every other field is skipped. Shapes: GitHub
/// docs, "Webhook events and payloads" (`push`); GitLab docs, "Webhook events" (Push events);
/// Gitea docs, "Webhooks".
struct WebhookPushPayload: Decodable, Equatable {
    /// `refs/heads/BRANCH` (or `refs/tags/TAG`).
    var ref: String
    /// The new head commit; all zeros when the ref was deleted.
    var after: String?
    /// GitHub: the push deleted the ref.
    var deleted: Bool?

    private enum CodingKeys: String, CodingKey {
        case ref, after, deleted
    }

    /// The push deleted its ref: `deleted: true` (GitHub) or an `after` of only zeros
    /// (GitHub, GitLab and Gitea all send 40 zeros; 64 with SHA-256 repositories).
    var isDeletion: Bool {
        deleted == true || (after.map { !$0.isEmpty && $0.allSatisfy { $0 == "0" } } ?? false)
    }

    /// Decodes `body`. An `after` that is neither a commit id (``Docker/GitHead/isCommit(_:)``)
    /// nor a deletion's zeros is refused: it is echoed in the answer and logged (a trial got
    /// `202 {"commit": "; rm -rf /"}` back for a correctly signed push).
    ///
    /// - Throws: ``WebhookError/malformedPayload(_:)`` naming what is wrong.
    static func decode(_ body: Data) throws(WebhookError) -> WebhookPushPayload {
        let payload = try decodeJSON(body)
        if let after = payload.after, !payload.isDeletion, !GitHead.isCommit(after) {
            throw .malformedPayload(
                "field `after` of the push payload is not a commit id (40 or 64 lower-case hex digits): \(String(reflecting: String(after.prefix(80))))"
            )
        }
        return payload
    }

    private static func decodeJSON(_ body: Data) throws(WebhookError) -> WebhookPushPayload {
        do {
            return try JSONDecoder().decode(WebhookPushPayload.self, from: body)
        } catch let error as DecodingError {
            switch error {
            case .keyNotFound(let key, let context) where context.codingPath.isEmpty:
                throw .malformedPayload("no `\(key.stringValue)` in the push payload")
            case .typeMismatch(_, let context) where context.codingPath.isEmpty:
                throw .malformedPayload("the body is not a JSON object")
            case .dataCorrupted(let context) where context.codingPath.isEmpty:
                throw .malformedPayload("the body is not JSON")
            case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context):
                let field = context.codingPath.map(\.stringValue).joined(separator: ".")
                throw .malformedPayload("field `\(field)` of the push payload: \(context.debugDescription)")
            default:
                throw .malformedPayload(APICoding.describe(error))
            }
        } catch {
            throw .malformedPayload(String(describing: error))
        }
    }
}
