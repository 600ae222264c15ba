import Foundation
import Services
import Testing

/// Pure parts of the deploy pipeline: the health gate's rule, webhook verification, and the
/// coalescing of the pipeline queue.
@Suite struct PipelineUnitTests {
    typealias O = RolloutHealthGate.Observation

    @Test func healthGateVerdicts() {
        let running = O(service: "web", name: "p-web-1", state: "running", startedAt: "t1")
        #expect(RolloutHealthGate.verdict([], previous: nil) == .waiting(services: [], reason: "no containers yet"))
        // Without a healthcheck: ready only once it stayed up between two looks.
        #expect(
            RolloutHealthGate.verdict([running], previous: nil)
                == .waiting(services: ["web"], reason: "checking that the containers stay up"))
        #expect(RolloutHealthGate.verdict([running], previous: [running]) == .ready)
        var restarted = running
        restarted.startedAt = "t2"
        restarted.restartCount = 1
        #expect(
            RolloutHealthGate.verdict([restarted], previous: [running]) == .waiting(services: ["web"], reason: "web (re)started recently"))
        // Healthchecks decide where they exist.
        var checked = running
        checked.health = "starting"
        #expect(
            RolloutHealthGate.verdict([checked], previous: [checked]) == .waiting(services: ["web"], reason: "web healthcheck starting"))
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
                == .failed(services: ["api"], reason: "api exited with status 3 during the health gate"))
        let restarting = O(service: "api", name: "p-api-1", state: "restarting", exitCode: 3)
        #expect(
            RolloutHealthGate.verdict([running, restarting], previous: [running])
                == .waiting(services: ["api"], reason: "api is restarting"))
        let job = O(service: "migrate", name: "p-migrate-1", state: "exited", completed: true, willRestart: false)
        #expect(RolloutHealthGate.verdict([running, job], previous: [running, job]) == .ready)
    }

    /// A second trial: `docker stop` during the gate of a service with `restart: unless-stopped`
    /// waited out the whole timeout "(its restart policy restarts it)" and rolled back: Docker
    /// does not restart a container stopped by hand, and one it will restart is shown as
    /// `restarting`, never `exited`. So an exited container fails the gate at once, whatever
    /// its policy (unless the engine was away: then the gate starts it, see `wait`).
    @Test func anExitedContainerIsNotWaitedForWhateverItsRestartPolicy() {
        let stopped = O(
            service: "web", name: "p-web-1", state: "exited", health: "unhealthy", exitCode: 143, startedAt: "t1", willRestart: true)
        let restarting = O(service: "api", name: "p-api-1", state: "restarting", exitCode: 1, startedAt: "t1", willRestart: true)
        let look = RolloutHealthGate.withoutRestartHope([stopped, restarting])
        #expect(look.map(\.willRestart) == [false, true])
        #expect(
            RolloutHealthGate.verdict(look, previous: nil)
                == .failed(services: ["web"], reason: "web exited with status 143 (SIGTERM) during the health gate"))
        #expect(
            RolloutHealthGate.verdict(RolloutHealthGate.withoutRestartHope([restarting]), previous: nil)
                == .waiting(services: ["api"], reason: "api is restarting"))
    }

    /// Reported by a fresh-user trial: a container stopped from outside during the gate (exit
    /// status 143) was reported as `web is unhealthy`, because Docker marks an exited
    /// container's health `unhealthy`; and the timeout's reason listed services that were ready.
    @Test func healthGateSaysHowAContainerExitedAndNamesOnlyTheNotReady() {
        let stopped = O(
            service: "web", name: "p-web-1", state: "exited", health: "unhealthy", exitCode: 143, startedAt: "t1", willRestart: false)
        #expect(
            RolloutHealthGate.verdict([stopped], previous: nil)
                == .failed(services: ["web"], reason: "web exited with status 143 (SIGTERM) during the health gate"))
        var killed = stopped
        killed.exitCode = 137
        killed.willRestart = true
        let healthy = O(service: "db", name: "p-db-1", state: "running", health: "healthy", startedAt: "t0")
        #expect(
            RolloutHealthGate.verdict([healthy, killed], previous: nil)
                == .waiting(services: ["web"], reason: "web exited with status 137 (SIGKILL) (its restart policy restarts it)"))
        let starting = O(service: "api", name: "p-api-1", state: "running", health: "starting", startedAt: "t0")
        #expect(
            RolloutHealthGate.verdict([healthy, starting], previous: [healthy, starting])
                == .waiting(services: ["api"], reason: "api healthcheck starting"))
        let plain = O(service: "worker", name: "p-worker-1", state: "running", startedAt: "t0")
        var moved = plain
        moved.startedAt = "t1"
        #expect(
            RolloutHealthGate.verdict([healthy, moved, plain.renamed("cache")], previous: [healthy, plain, plain.renamed("cache")])
                == .waiting(services: ["worker"], reason: "worker (re)started recently"))
    }

    @Test func webhookSignaturesAndTokens() throws {
        let secret = "s3cret"
        let body = Data(#"{"ref":"refs/heads/main","after":"abc1230000000000000000000000000000000def"}"#.utf8)
        let signature = WebhookVerifier.signature(body: body, secret: secret)
        let github = try WebhookVerifier.verify(
            .github,
            headers: [
                "X-Hub-Signature-256": "sha256=" + signature, "X-GitHub-Event": "push", "X-GitHub-Delivery": "d-1",
            ], body: body, secret: secret)
        #expect(
            github
                == WebhookDelivery(
                    event: "push", deliveryId: "d-1", ref: "refs/heads/main", after: "abc1230000000000000000000000000000000def"))
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

    /// Reported by a fresh-user trial: a CLI waiting in `deploy up` during a long deploy was told
    /// "daemon not running" when the daemon stopped. At shutdown every waiter hears why.
    @Test func shutDownAnswersEveryWaiter() async throws {
        let queue = PipelineQueue()
        let running = Task { try await queue.submitAndWait("app", RunRequest(trigger: "api", explicit: true)) }
        _ = try await queue.next("app")
        let pending = Task { try await queue.submitAndWait("app", RunRequest(trigger: "reconcile")) }
        try await waitFor { await queue.queuedRequests("app") == 1 }
        await queue.shutDown()
        for task in [running, pending] {
            do {
                _ = try await task.value
                Issue.record("a waiter got a result after shutdown")
            } catch let error as ServiceError {
                #expect(String(describing: error) == "the run was interrupted: " + PipelineQueue.daemonStopping)
            }
        }
        // Later requests hear it at once; the run's own end does not resume anyone twice.
        await #expect(throws: ServiceError.self) { try await queue.submitAndWait("app", RunRequest(trigger: "api")) }
        await queue.finish("app", .failure(CancellationError()))
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

extension RolloutHealthGate.Observation {
    /// The same observation for another service (and container name).
    fileprivate func renamed(_ service: String) -> Self {
        var copy = self
        copy.service = service
        copy.name = "p-\(service)-1"
        return copy
    }
}
