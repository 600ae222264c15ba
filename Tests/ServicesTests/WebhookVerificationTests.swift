import Foundation
import Synchronization
import Testing

@testable import Services

/// Webhook verification on the providers' own payload shapes (Fixtures/webhooks), fed whole
/// and in pieces; the refusals decided on the headers alone; the body limit; the refusal log
/// and the cap on bodies read at once.
@Suite struct WebhookVerificationTests {
    let secret = "0f5e7b1c9d3a4e6f8b2c0d1e3f5a7b9c"

    /// Feeds `body` in pieces of `size` bytes.
    func verify(_ provider: WebhookProvider, _ headers: [String: String], _ body: Data, pieces size: Int) throws -> WebhookDelivery {
        var verification = try WebhookVerification(provider, headers: headers, secret: secret)
        var offset = 0
        while offset < body.count {
            try verification.append(body[offset..<min(body.count, offset + size)])
            offset += size
        }
        return try verification.finish()
    }

    @Test func documentedPayloadsAreReadWholeOrInPieces() throws {
        let cases: [(String, WebhookProvider, String, WebhookDelivery)] = [
            (
                "github-push.json", .github, "push",
                WebhookDelivery(
                    event: "push", deliveryId: "72d3162e-cc78-11e3-81ab-4c9367dc0958", ref: "refs/heads/main",
                    after: "0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c")
            ),
            (
                "github-push-branch-deleted.json", .github, "push",
                WebhookDelivery(
                    event: "push", deliveryId: "72d3162e-cc78-11e3-81ab-4c9367dc0958", ref: "refs/heads/main",
                    after: String(repeating: "0", count: 40), deleted: true)
            ),
            ("github-ping.json", .github, "ping", WebhookDelivery(event: "ping", deliveryId: "72d3162e-cc78-11e3-81ab-4c9367dc0958")),
            (
                "gitlab-push.json", .gitlab, "push",
                WebhookDelivery(
                    event: "push", deliveryId: "13792a34-cac6-4fda-95a8-c58e00a3954e", ref: "refs/heads/main",
                    after: "da1560886d4f094c3e6c9ef40349f7d38b5d27d7")
            ),
            (
                "gitlab-push-branch-deleted.json", .gitlab, "push",
                WebhookDelivery(
                    event: "push", deliveryId: "13792a34-cac6-4fda-95a8-c58e00a3954e", ref: "refs/heads/main",
                    after: String(repeating: "0", count: 40), deleted: true)
            ),
            (
                "gitea-push.json", .gitea, "push",
                WebhookDelivery(
                    event: "push", deliveryId: "f6266f16-1bf3-46a5-9ea4-602e06ead473", ref: "refs/heads/main",
                    after: "0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c")
            ),
        ]
        for (name, provider, event, expected) in cases {
            let body = WebhookFixtures.body(name)
            let headers = WebhookFixtures.headers(provider, event: event, body: body, secret: secret)
            #expect(try WebhookVerifier.verify(provider, headers: headers, body: body, secret: secret) == expected, "\(name)")
            for size in [1, 7, 1000] {
                #expect(try verify(provider, headers, body, pieces: size) == expected, "\(name) in pieces of \(size)")
            }
            // One byte changed anywhere: refused (GitLab signs nothing; its token is a header).
            guard provider != .gitlab else { continue }
            var changed = body
            changed[body.count / 2] ^= 0x01
            #expect(throws: WebhookError.badSignature) { try verify(provider, headers, changed, pieces: 100) }
        }
    }

    /// A trial's correctly signed push with `"after": "; rm -rf /"` was answered 202 with that
    /// text as the commit: refused now, naming the field and what is allowed; a deletion's
    /// zeros and real ids (SHA-1, SHA-256) still pass.
    @Test func anAfterThatIsNotACommitIdIsRefused() throws {
        for after in ["; rm -rf /", "", "HEAD", String(repeating: "A", count: 40), String(repeating: "a", count: 39)] {
            let body = Data(#"{"ref":"refs/heads/main","after":\#(String(reflecting: after))}"#.utf8)
            let headers = WebhookFixtures.headers(.github, event: "push", body: body, secret: secret)
            #expect(throws: WebhookError.self) { try verify(.github, headers, body, pieces: 64) }
            do {
                _ = try verify(.github, headers, body, pieces: 64)
            } catch {
                #expect(
                    "\(error)".contains("field `after` of the push payload is not a commit id (40 or 64 lower-case hex digits)"), "\(error)"
                )
            }
        }
        for after in [String(repeating: "0", count: 40), String(repeating: "b", count: 40), String(repeating: "c", count: 64)] {
            let body = Data(#"{"ref":"refs/heads/main","after":"\#(after)"}"#.utf8)
            let headers = WebhookFixtures.headers(.github, event: "push", body: body, secret: secret)
            #expect(try verify(.github, headers, body, pieces: 64).after == after)
        }
    }

    @Test func formEncodedDeliveriesAreRefusedSayingWhatToChange() throws {
        for (name, event) in [("github-push.form", "push"), ("github-ping.form", "ping")] {
            let body = WebhookFixtures.body(name)
            // The signature covers the raw form body: verified first, then refused with advice.
            let headers = WebhookFixtures.headers(.github, event: event, body: body, secret: secret, form: true)
            #expect(throws: WebhookError.formEncoded(event: event)) { try verify(.github, headers, body, pieces: 512) }
            // Also without the content type (a proxy that drops it): the body says it.
            var plain = headers
            plain["Content-Type"] = nil
            #expect(throws: WebhookError.formEncoded(event: event)) { try verify(.github, plain, body, pieces: 512) }
            // A wrong signature is refused as such, whatever the content type.
            var forged = headers
            forged["X-Hub-Signature-256"] = "sha256=" + String(repeating: "ab", count: 32)
            #expect(throws: WebhookError.badSignature) { try verify(.github, forged, body, pieces: 512) }
        }
        let push = "\(WebhookError.formEncoded(event: "push"))"
        #expect(push.contains("application/x-www-form-urlencoded") && push.contains("set the webhook's content type to application/json"))
        let ping = "\(WebhookError.formEncoded(event: "ping"))"
        #expect(ping.hasPrefix("ping received and verified, but pushes would be refused") && ping.contains("application/json"))
    }

    @Test func headersAloneDecideWhatTheyCan() throws {
        let body = WebhookFixtures.body("github-push.json")
        var headers = WebhookFixtures.headers(.github, event: "push", body: body, secret: secret)
        headers["X-Hub-Signature-256"] = nil
        #expect(throws: WebhookError.missingSignature(header: "X-Hub-Signature-256")) {
            try WebhookVerification(.github, headers: headers, secret: secret)
        }
        for malformed in ["sha1=" + String(repeating: "ab", count: 20), "sha256=xyz", "sha256=" + String(repeating: "ab", count: 31), ""] {
            headers["X-Hub-Signature-256"] = malformed
            #expect(throws: WebhookError.self) { try WebhookVerification(.github, headers: headers, secret: secret) }
        }
        #expect(throws: WebhookError.malformedSignature(header: "X-Gitea-Signature", expected: "64 hex digits (HMAC-SHA256)")) {
            try WebhookVerification(.gitea, headers: ["X-Gitea-Signature": "zz"], secret: secret)
        }
        // GitLab's token is a header: a wrong one is refused before the body, and named as a token.
        var gitlab = WebhookFixtures.headers(.gitlab, event: "push", body: body, secret: secret)
        gitlab["X-Gitlab-Token"] = String(secret.dropLast())
        #expect(throws: WebhookError.badToken) { try WebhookVerification(.gitlab, headers: gitlab, secret: secret) }
        let text = "\(WebhookError.badToken)"
        #expect(text.contains("X-Gitlab-Token does not match") && !text.contains("signature"), "\(text)")
    }

    @Test func theBodyLimitIsOneConstantNamedExactly() throws {
        var verification = try WebhookVerification(
            .github, headers: ["X-Hub-Signature-256": "sha256=" + String(repeating: "00", count: 32), "X-GitHub-Event": "push"],
            secret: secret)
        let piece = Data(repeating: 0x20, count: 1 << 20)
        for _ in 0..<5 { try verification.append(piece) }
        #expect(verification.byteCount == WebhookLimits.maxBodyBytes)
        #expect(throws: WebhookError.tooLarge) { try verification.append(Data([0x20])) }
        #expect(WebhookLimits.maxBodyBytes == 5_242_880)
        #expect("\(WebhookError.tooLarge)" == "request body too large: webhook deliveries are limited to 5 MiB (5242880 bytes)")
    }

    @Test func refusalsAreCountedPerKeyAndTheCountIsReportedWhenTheWindowEnds() async throws {
        let (reports, sink) = AsyncStream.makeStream(of: Reported.self)
        let windows = WindowEnds()
        let log = RateLimitedLog<String>(
            interval: .seconds(60), wait: { _ in await windows.wait() },
            emit: { key, report in sink.yield(Reported(key: key, report: report)) })
        var iterator = reports.makeAsyncIterator()
        await log.submit("app/github", "bad signature 1")
        await log.submit("app/github", "bad signature 2")
        await log.submit("app/gitlab", "bad token")  // another provider: its own window
        await log.submit("app/github", "bad signature 3")
        #expect(await iterator.next() == Reported(key: "app/github", report: .first("bad signature 1")))
        #expect(await iterator.next() == Reported(key: "app/gitlab", report: .first("bad token")))
        // The windows end: no later refusal is needed for the count to come out.
        await windows.endAll(expected: 2)
        #expect(await iterator.next() == Reported(key: "app/github", report: .heldBack(count: 2, last: "bad signature 3")))
        // That opened another window, which ends with nothing held back: it closes, the key is
        // forgotten, and the next refusal goes out at once.
        await windows.endAll(expected: 1)
        while log.openWindows > 0 { await Task.yield() }
        await log.submit("app/github", "bad signature 4")
        #expect(await iterator.next() == Reported(key: "app/github", report: .first("bad signature 4")))
    }

    struct Reported: Equatable, Sendable {
        var key: String
        var report: RateLimitedLog<String>.Report
    }

    /// Windows of a ``RateLimitedLog`` that end when the test says so.
    final class WindowEnds: Sendable {
        private let waiting = Mutex<[CheckedContinuation<Void, Never>]>([])

        func wait() async { await withCheckedContinuation { continuation in waiting.withLock { $0.append(continuation) } } }

        /// Ends the windows being waited out, once `expected` are.
        func endAll(expected: Int) async {
            while waiting.withLock({ $0.count }) < expected { await Task.yield() }
            for continuation in waiting.withLock({ list in
                defer { list = [] }
                return list
            }) { continuation.resume() }
        }
    }

    @Test func theCapOnBodiesReadAtOnceRefusesExtras() {
        let limit = ConcurrencyLimit(limit: 2)
        #expect(limit.tryEnter() && limit.tryEnter())
        #expect(!limit.tryEnter())
        limit.leave()
        #expect(limit.tryEnter())
        limit.leave()
        limit.leave()
        #expect(limit.current == 0)
    }
}
