import Crypto
import Foundation
import Store

/// Verifies one delivery while its body arrives, so that nothing unauthenticated is read whole
/// before a decision is possible. The headers are checked at ``init(_:headers:secret:)``: a
/// missing or malformed signature, or a wrong GitLab token (a header: GitLab signs nothing), is
/// refused before a byte of the body is read. The body is then fed to ``append(_:)`` piece by
/// piece (HMAC-SHA256 is incremental, RFC 2104); it is kept only for a push (the one event whose
/// payload is read), and never beyond ``WebhookLimits/maxBodyBytes``. ``finish()`` compares the
/// signature in constant time and reads the payload. Pure (no I/O); fuzzed by `WebhookFuzzTests`.
public struct WebhookVerification: Sendable {
    /// The provider whose rules apply.
    public let provider: WebhookProvider
    /// The event the headers name (`push` for GitLab's `Push Hook`); `""` if none.
    public let event: String
    /// The delivery id the headers carry, if any.
    public let deliveryId: String?
    /// Bytes of the body received so far.
    public private(set) var byteCount = 0

    private let formEncoded: Bool
    private var mac: HMAC<SHA256>?
    private let expected: [UInt8]
    private var kept: [Data] = []
    private var head: [UInt8] = []

    /// Checks the headers of a delivery for `provider` against the deployment's `secret`.
    /// Header names are matched case-insensitively (`headers` keys may be any case; of names
    /// that differ only in case, the first in sorted order counts).
    ///
    /// - Throws: ``WebhookError/missingSignature(header:)``,
    ///   ``WebhookError/malformedSignature(header:expected:)`` (GitHub: `sha256=` and 64 hex
    ///   digits; Gitea, Forgejo: 64 hex digits), ``WebhookError/badToken`` (GitLab).
    public init(_ provider: WebhookProvider, headers: [String: String], secret: String) throws(WebhookError) {
        // Names that differ only in case: the first in key order counts (not the dictionary's
        // own order, which differs from run to run).
        let h = Dictionary(
            headers.sorted { $0.key < $1.key }.map { ($0.key.lowercased(), $0.value) }, uniquingKeysWith: { first, _ in first })
        self.provider = provider
        let contentType = h["content-type"]?.split(separator: ";").first?.trimmingCharacters(in: .whitespaces).lowercased()
        formEncoded = contentType == "application/x-www-form-urlencoded"
        let key = SymmetricKey(data: Data(secret.utf8))
        var delivery: String?
        switch provider {
        case .github:
            guard let header = h["x-hub-signature-256"] else { throw .missingSignature(header: "X-Hub-Signature-256") }
            guard header.hasPrefix("sha256="), let mac = Hex.decode(String(header.dropFirst(7)), count: SHA256.byteCount) else {
                throw .malformedSignature(header: "X-Hub-Signature-256", expected: "`sha256=` and 64 hex digits (HMAC-SHA256)")
            }
            expected = mac
            self.mac = HMAC<SHA256>(key: key)
            event = h["x-github-event"] ?? ""
            delivery = h["x-github-delivery"]
        case .gitea:
            guard let header = h["x-gitea-signature"] ?? h["x-forgejo-signature"] else {
                throw .missingSignature(header: "X-Gitea-Signature (or X-Forgejo-Signature)")
            }
            let name = h["x-gitea-signature"] != nil ? "X-Gitea-Signature" : "X-Forgejo-Signature"
            guard let mac = Hex.decode(header, count: SHA256.byteCount) else {
                throw .malformedSignature(header: name, expected: "64 hex digits (HMAC-SHA256)")
            }
            expected = mac
            self.mac = HMAC<SHA256>(key: key)
            event = h["x-gitea-event"] ?? h["x-forgejo-event"] ?? ""
            delivery = h["x-gitea-delivery"] ?? h["x-forgejo-delivery"]
        case .gitlab:
            guard let token = h["x-gitlab-token"] else { throw .missingSignature(header: "X-Gitlab-Token") }
            guard AdminKey.matches(token, secret) else { throw .badToken }
            expected = []
            mac = nil
            let kind = h["x-gitlab-event"] ?? ""
            event = kind == "Push Hook" ? "push" : kind
            delivery = h["idempotency-key"] ?? h["x-gitlab-event-uuid"] ?? h["x-gitlab-webhook-uuid"]
        }
        deliveryId = delivery.flatMap { $0.isEmpty ? nil : $0 }
    }

    /// Feeds the next piece of the body.
    ///
    /// - Throws: ``WebhookError/tooLarge`` once the body exceeds ``WebhookLimits/maxBodyBytes``.
    public mutating func append(_ bytes: some Collection<UInt8>) throws(WebhookError) {
        guard bytes.count <= WebhookLimits.maxBodyBytes - byteCount else { throw .tooLarge }
        let data = bytes.withContiguousStorageIfAvailable { Data($0) } ?? Data(bytes)  // one copy, not byte by byte
        byteCount += data.count
        if head.count < 8 { head += data.prefix(8 - head.count) }
        mac?.update(data: data)
        if event == "push" { kept.append(data) }
    }

    /// Checks the signature of the whole body and reads what the delivery says.
    ///
    /// - Throws: ``WebhookError/badSignature``; for a genuine delivery
    ///   ``WebhookError/formEncoded(event:)`` (by its `Content-Type`, or a body that starts
    ///   with `payload=`), or ``WebhookError/malformedPayload(_:)`` for a push without the
    ///   provider's JSON.
    public func finish() throws(WebhookError) -> WebhookDelivery {
        if let mac {
            guard mac.finalize() == expected else { throw .badSignature }
        }
        if formEncoded || head.starts(with: Array("payload=".utf8)) { throw .formEncoded(event: event) }
        var delivery = WebhookDelivery(event: event, deliveryId: deliveryId)
        guard event == "push" else { return delivery }
        var body = Data(capacity: byteCount)
        for piece in kept { body.append(piece) }
        let payload = try WebhookPushPayload.decode(body)
        delivery.ref = payload.ref
        delivery.after = payload.after
        delivery.deleted = payload.isDeletion
        return delivery
    }
}
