import Foundation

/// What a delivery says, once verified.
public struct WebhookDelivery: Sendable, Equatable {
    /// `push` for a push; anything else is acknowledged and ignored (`ping`, `issues`, …).
    public var event: String
    /// The delivery id the provider sends (replays carry the same one), if any.
    public var deliveryId: String?
    /// `ref` of a push payload, e.g. `refs/heads/main`.
    public var ref: String?
    /// `after` of a push payload: the new head commit (all zeros when the ref was deleted).
    public var after: String?
    /// The push deleted `ref`: GitHub's `deleted: true`, or an `after` of all zeros (GitHub,
    /// GitLab, whose `checkout_sha` is then `null`, Gitea).
    public var deleted: Bool

    /// A delivery with the given fields.
    public init(event: String, deliveryId: String?, ref: String? = nil, after: String? = nil, deleted: Bool = false) {
        self.event = event
        self.deliveryId = deliveryId
        self.ref = ref
        self.after = after
        self.deleted = deleted
    }
}
