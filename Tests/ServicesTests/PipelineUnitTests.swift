import Foundation
import Services
import Testing

/// Pure parts of the deploy pipeline: the health gate's rule, webhook verification, and the
/// coalescing of the pipeline queue.
@Suite struct PipelineUnitTests {
    typealias O = RolloutHealthGate.Observation

    @Test func healthGateVerdicts() {
        let running = O(service: "web", name: "p-web-1", state: "running", startedAt: "t1")
        #expect(RolloutHealthGate.verdict([], previous: nil) == .waiting("no containers yet"))
        // Without a healthcheck: ready only once it stayed up between two looks.
        #expect(RolloutHealthGate.verdict([running], previous: nil) == .waiting("checking that the containers stay up"))
        #expect(RolloutHealthGate.verdict([running], previous: [running]) == .ready)
        var restarted = running
        restarted.startedAt = "t2"
        restarted.restartCount = 1
        #expect(RolloutHealthGate.verdict([restarted], previous: [running]) == .waiting("web (re)started recently"))
        // Healthchecks decide where they exist.
        var checked = running
        checked.health = "starting"
        #expect(RolloutHealthGate.verdict([checked], previous: [checked]) == .waiting("web healthcheck starting"))
        checked.health = "healthy"
        #expect(RolloutHealthGate.verdict([checked], previous: nil) == .ready)
        checked.health = "unhealthy"
        checked.lastProbeOutput = "wget: server returned error: HTTP/1.0 404 Not Found"
        #expect(
            RolloutHealthGate.verdict([checked, running], previous: nil)
                == .failed(services: ["web"], reason: "web is unhealthy (last probe: wget: server returned error: HTTP/1.0 404 Not Found)"))
        // Exited for good vs. about to be restarted vs. a completed one-shot job.
        let dead = O(service: "api", name: "p-api-1", state: "exited", exitCode: 3, willRestart: false)
        #expect(
            RolloutHealthGate.verdict([running, dead], previous: [running])
                == .failed(services: ["api"], reason: "api exited with status 3"))
        let restarting = O(service: "api", name: "p-api-1", state: "restarting", exitCode: 3)
        #expect(RolloutHealthGate.verdict([running, restarting], previous: [running]) == .waiting("api is restarting"))
        let job = O(service: "migrate", name: "p-migrate-1", state: "exited", completed: true, willRestart: false)
        #expect(RolloutHealthGate.verdict([running, job], previous: [running, job]) == .ready)
    }

    @Test func webhookSignaturesAndTokens() throws {
        let secret = "s3cret"
        let body = Data(#"{"ref":"refs/heads/main","after":"abc123"}"#.utf8)
        let signature = WebhookVerifier.signature(body: body, secret: secret)
        let github = try WebhookVerifier.verify(
            .github,
            headers: [
                "X-Hub-Signature-256": "sha256=" + signature, "X-GitHub-Event": "push", "X-GitHub-Delivery": "d-1",
            ], body: body, secret: secret)
        #expect(github == WebhookDelivery(event: "push", deliveryId: "d-1", ref: "refs/heads/main", after: "abc123"))
        // Header names in any case; Forgejo's own header names.
        let forgejo = try WebhookVerifier.verify(
            .gitea,
            headers: [
                "x-forgejo-signature": signature.uppercased(), "x-forgejo-event": "push", "x-forgejo-delivery": "d-2",
            ], body: body, secret: secret)
        #expect(forgejo.deliveryId == "d-2")
        let gitlab = try WebhookVerifier.verify(
            .gitlab,
            headers: [
                "X-Gitlab-Token": secret, "X-Gitlab-Event": "Push Hook", "Idempotency-Key": "d-3",
            ], body: body, secret: secret)
        #expect(gitlab.event == "push" && gitlab.deliveryId == "d-3")

        #expect(throws: WebhookError.badSignature) {
            try WebhookVerifier.verify(
                .github, headers: ["X-Hub-Signature-256": "sha256=" + signature], body: Data("x".utf8) + body, secret: secret)
        }
        #expect(
            throws: WebhookError.malformedSignature(header: "X-Hub-Signature-256", expected: "`sha256=` and 64 hex digits (HMAC-SHA256)")
        ) {
            try WebhookVerifier.verify(.github, headers: ["X-Hub-Signature-256": "sha1=" + signature], body: body, secret: secret)
        }
        #expect(throws: WebhookError.malformedSignature(header: "X-Gitea-Signature", expected: "64 hex digits (HMAC-SHA256)")) {
            try WebhookVerifier.verify(.gitea, headers: ["X-Gitea-Signature": "zz" + signature.dropFirst(2)], body: body, secret: secret)
        }
        #expect(throws: WebhookError.badToken) {
            try WebhookVerifier.verify(.gitlab, headers: ["X-Gitlab-Token": "s3cre"], body: body, secret: secret)
        }
        #expect(throws: WebhookError.missingSignature(header: "X-Hub-Signature-256")) {
            try WebhookVerifier.verify(.github, headers: [:], body: body, secret: secret)
        }
        // A signed ping is fine and carries no push fields; a signed push without a ref is malformed.
        let ping = try WebhookVerifier.verify(
            .github,
            headers: [
                "X-Hub-Signature-256": "sha256=" + WebhookVerifier.signature(body: Data("{}".utf8), secret: secret),
                "X-GitHub-Event": "ping",
            ], body: Data("{}".utf8), secret: secret)
        #expect(ping.event == "ping" && ping.ref == nil)
        #expect(throws: WebhookError.self) {
            try WebhookVerifier.verify(
                .github,
                headers: [
                    "X-Hub-Signature-256": "sha256=" + WebhookVerifier.signature(body: Data("[]".utf8), secret: secret),
                    "X-GitHub-Event": "push",
                ], body: Data("[]".utf8), secret: secret)
        }
        #expect(WebhookVerifier.newSecret().count == 64)
        #expect(WebhookVerifier.newSecret() != WebhookVerifier.newSecret())
    }

    @Test func requestsDuringARunCoalesceIntoOneFollowUp() async throws {
        let queue = PipelineQueue()
        await queue.submit("app", RunRequest(trigger: "poll"))
        let first = try await queue.next("app")
        #expect(first.triggerSummary == "poll")
        #expect(await queue.state("app") == "running")
        // Ten webhooks and an operator's forced up while the first run goes: one follow-up.
        for _ in 0..<10 { await queue.submit("app", RunRequest(trigger: "webhook:github")) }
        let waiter = Task { try await queue.submitAndWait("app", RunRequest(trigger: "cli", force: true, explicit: true)) }
        try await waitFor { await queue.queuedRequests("app") == 11 }
        #expect(await queue.state("app") == "running, 1 queued")
        await queue.submit("other", RunRequest(trigger: "poll"))  // independent
        await queue.finish("app", .success(result("first")))
        let second = try await queue.next("app")
        #expect(second.triggerSummary == "webhook:github ×10, cli")
        #expect(second.force && second.explicit)
        await queue.finish("app", .success(result("second")))
        #expect(try await waiter.value.outcome == "second")
        #expect(await queue.state("app") == "idle")
        #expect(await queue.state("other") == "queued")
    }

    @Test func aCancelledRunIsRequeuedWithItsWaiters() async throws {
        let queue = PipelineQueue()
        let waiter = Task { try await queue.submitAndWait("app", RunRequest(trigger: "api", explicit: true)) }
        let job = try await queue.next("app")
        #expect(job.explicit)
        await queue.requeue("app")
        #expect(await queue.state("app") == "queued")
        let again = try await queue.next("app")
        #expect(again.triggerSummary == "api")
        await queue.finish("app", .success(result("done")))
        #expect(try await waiter.value.outcome == "done")
        // A consumer waiting on an empty mailbox ends on cancellation.
        let consumer = Task { try await queue.next("app") }
        try await Task.sleep(for: .milliseconds(50))
        consumer.cancel()
        await #expect(throws: CancellationError.self) { try await consumer.value }
    }

    private func result(_ outcome: String) -> RunResult {
        RunResult(deployment: "app", runId: nil, outcome: outcome, commit: nil, runningCommit: nil, reason: nil, triggers: "")
    }

    private func waitFor(_ condition: () async -> Bool) async throws {
        for _ in 0..<1000 where !(await condition()) {
            await Task.yield()
            try await Task.sleep(for: .milliseconds(1))
        }
    }
}
