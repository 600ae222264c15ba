import Crypto
import Foundation
import Store

/// What a delivery says, once verified.
public struct WebhookDelivery: Sendable, Equatable {
    /// `push` for a push; anything else is acknowledged and ignored (`ping`, `issues`, …).
    public var event: String
    /// The delivery id the provider sends (replays carry the same one), if any.
    public var deliveryId: String?
    /// `ref` of a push payload, e.g. `refs/heads/main`.
    public var ref: String?
    /// `after` of a push payload: the new head commit.
    public var after: String?

    /// A delivery with the given fields.
    public init(event: String, deliveryId: String?, ref: String? = nil, after: String? = nil) {
        self.event = event
        self.deliveryId = deliveryId
        self.ref = ref
        self.after = after
    }
}
