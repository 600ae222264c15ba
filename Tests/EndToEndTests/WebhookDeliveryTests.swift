import Foundation
import Services
import Testing

/// Webhook deliveries end to end (issue 13, "Left open by the last fresh-user trial"): what a
/// stranger learns and can make the daemon hold, and how the hosting services' own payloads
/// for a branch deletion and a form-encoded hook are answered.
@Suite(.serialized) struct WebhookDeliveryTests {
    /// A well-formed signature that matches nothing.
    static let wrongSignature = "sha256=" + String(repeating: "0", count: 64)

    @Test func strangersLearnNoNamesAndCannotTieUpTheDaemon() async throws {
        let s = try Scenario()
        defer { s.tearDown() }
        try await s.startDaemon()
        #expect(try s.cli("repo", "add", s.name, s.remote, "--poll-interval", "1h").status == 0)
        try await waitUntil("v1 answers") { await httpGet(s.appURL)?.1 == "version 1\n" }
        let push = Self.fixture("github-push.json")
        let unknown = "no-such-deployment"

        // 1. A deployment without a secret, one with a secret, and a name that is no
        //    deployment get the same answers (reported: 404 for an unknown name).
        func answers(_ name: String) throws -> [String] {
            try [
                Self.deliver(s, "github", name, push, ["X-GitHub-Event: push", "X-Hub-Signature-256: \(Self.wrongSignature)"]),
                Self.deliver(s, "github", name, push, ["X-GitHub-Event: push"]),
                Self.deliver(s, "gitea", name, push, ["X-Gitea-Event: push", "X-Gitea-Signature: zz"]),
                Self.deliver(s, "gitlab", name, push, ["X-Gitlab-Event: Push Hook", "X-Gitlab-Token: wrong"]),
            ].map { "\($0.code) \($0.body)" }
        }
        let withoutSecret = try answers(s.name)
        #expect(try answers(unknown) == withoutSecret)
        let secret = try Self.webhookSecret(s)
        let withSecret = try answers(s.name)
        #expect(withSecret == withoutSecret)
        #expect(try answers(unknown) == withSecret)
        #expect(withSecret[0].hasPrefix("401 ") && withSecret[0].contains("signature does not match"), "\(withSecret[0])")
        // GitLab sends a token, not a signature: the answer says so (reported: "signature").
        #expect(withSecret[3].hasPrefix("401 ") && withSecret[3].contains("X-Gitlab-Token does not match"), "\(withSecret[3])")
        #expect(!withSecret[3].contains("signature"), "\(withSecret[3])")

        // 2. Refusals are logged per provider (reported: one count for all providers), each
        //    provider's first at once.
        let events = try await Self.webhookEvents(s)
        for provider in ["github", "gitea", "gitlab"] {
            #expect(events.contains { $0.hasPrefix("refused \(provider) delivery:") }, "\(provider): \(events)")
        }

        // 3. GitLab's token is a header: a wrong one is answered before the body is sent
        //    (reported: the whole body was read first).
        let early = try RawHTTPConnection(port: s.apiPort)
        try early.send(head: [
            "POST /hooks/gitlab/\(s.name) HTTP/1.1", "Host: 127.0.0.1", "X-Gitlab-Event: Push Hook", "X-Gitlab-Token: wrong",
            "Content-Type: application/json", "Content-Length: 1000000",
        ])
        let refused = try early.response()
        #expect(refused.status == 401 && refused.body.contains("X-Gitlab-Token does not match"), "\(refused)")

        // 4. The 413 names the real limit, the same for every request, whether the size is
        //    declared or only found while streaming (reported: a different number each time).
        let huge = s.dir + "/huge.json"
        #expect(FileManager.default.createFile(atPath: huge, contents: Data(repeating: 0x20, count: 6 << 20)))
        let tooLarge = #"{"error":"request body too large: webhook deliveries are limited to 5 MiB (5242880 bytes)"}"#
        for chunked in [false, false, true, true] {
            let answer = try Self.deliver(
                s, "github", s.name, file: huge,
                ["X-GitHub-Event: push", "X-Hub-Signature-256: \(Self.wrongSignature)"] + (chunked ? ["Transfer-Encoding: chunked"] : []))
            #expect(answer.code == 413 && answer.body == tooLarge + "\n", "chunked \(chunked): \(answer)")
        }

        // 5. Senders that stall halfway hold the slots for bodies (four at once): the next
        //    delivery is refused at once with Retry-After, and the other endpoints answer.
        var stalled: [RawHTTPConnection] = []
        for i in 0..<WebhookLimits.maxConcurrentDeliveries {
            let connection = try RawHTTPConnection(port: s.apiPort)
            try connection.send(
                head: [
                    "POST /hooks/github/\(i % 2 == 0 ? s.name : unknown) HTTP/1.1", "Host: 127.0.0.1", "X-GitHub-Event: push",
                    "X-Hub-Signature-256: \(Self.wrongSignature)", "Content-Type: application/json",
                    "Content-Length: \(WebhookLimits.maxBodyBytes)",
                ], body: [UInt8](repeating: 0x20, count: 1024))
            stalled.append(connection)
        }
        let small = Data(#"{"ref":"refs/heads/main"}"#.utf8)
        let wrong = ["X-GitHub-Event: push", "X-Hub-Signature-256: \(Self.wrongSignature)"]
        var busy: Answer?
        try await waitUntil("the stalled senders hold every slot", limit: .seconds(60)) {
            let answer = try Self.deliver(s, "github", s.name, small, wrong)
            if answer.code == 503 { busy = answer }
            return busy != nil
        }
        #expect(busy?.body.contains("too many webhook deliveries at once") == true, "\(String(describing: busy))")
        #expect(busy?.retryAfter == "\(WebhookLimits.retryAfterSeconds)")
        #expect(await httpGet(s.apiURL + "/healthz")?.0 == 200)
        #expect(await httpGet(s.apiURL + "/api/status", bearer: s.adminKey)?.0 == 200)
        stalled.removeAll()  // they give up: the slots come back
        try await waitUntil("the slots are free again", limit: .seconds(60)) {
            try Self.deliver(s, "github", s.name, small, wrong).code == 401
        }
        // A sender that hangs up halfway is a refusal like the others, not an error of the daemon.
        #expect(!s.daemonLog().contains("request failed"), "\(s.daemonLog().suffix(2000))")

        // 6. A flood of 20 parallel 5 MiB deliveries with a wrong signature: each is refused
        //    (401, or 503 with Retry-After), and /healthz answers throughout.
        #expect(FileManager.default.createFile(atPath: huge, contents: Data(repeating: 0x20, count: WebhookLimits.maxBodyBytes)))
        // Each curl its own process: a shell's `wait` would hang (it inherits the test
        // process's blocked SIGCHLD).
        var senders: [Process] = []
        for i in 1...20 {
            let sender = Process()
            sender.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
            sender.arguments = [
                "-s", "-o", "/dev/null", "-w", "%{http_code} %header{retry-after}\n", "-X", "POST", "-H", "Expect:", "-H",
                "X-GitHub-Event: push", "-H", "X-Hub-Signature-256: \(Self.wrongSignature)", "-H", "Content-Type: application/json",
                "--data-binary", "@" + huge, "\(s.apiURL)/hooks/github/\(s.name)",
            ]
            #expect(FileManager.default.createFile(atPath: s.dir + "/flood.\(i)", contents: nil))
            sender.standardOutput = FileHandle(forWritingAtPath: s.dir + "/flood.\(i)")
            sender.standardInput = FileHandle.nullDevice
            try sender.run()
            senders.append(sender)
        }
        var health: [Int] = []
        repeat {
            health.append(await httpGet(s.apiURL + "/healthz")?.0 ?? 0)
            try await Task.sleep(for: .milliseconds(100))
        } while senders.contains(where: \.isRunning)
        let codes = try (1...20).map { try String(contentsOfFile: s.dir + "/flood.\($0)", encoding: .utf8) }
        #expect(codes.allSatisfy { $0 == "401 \n" || $0 == "503 \(WebhookLimits.retryAfterSeconds)\n" }, "\(codes)")
        #expect(health.allSatisfy { $0 == 200 }, "\(health)")
        print(
            "measure: flood of 20 × 5 MiB answered \(Dictionary(grouping: codes, by: { $0 }).mapValues(\.count)); /healthz asked \(health.count) times"
        )

        // 7. Then GitHub's own push payload, signed, deploys: no slot was lost.
        let genuine = try Self.deliver(s, "github", s.name, push, Self.signed("github", push, secret: secret, event: "push"))
        #expect(genuine.code == 202 && genuine.body.contains("\"triggered\""), "\(genuine)")
    }

    @Test func branchDeletionsAndFormEncodedHooksAreAnsweredForWhatTheyAre() async throws {
        let s = try Scenario()
        defer { s.tearDown() }
        try await s.startDaemon()
        #expect(try s.cli("repo", "add", s.name, s.remote, "--poll-interval", "1h").status == 0)
        try await waitUntil("v1 answers") { await httpGet(s.appURL)?.1 == "version 1\n" }
        try await waitUntil("v1 recorded as succeeded") { try s.history().first?["outcome"] as? String == "succeeded" }
        let secret = try Self.webhookSecret(s)
        let before = try s.deploymentStatus()
        let runs = try s.history().count

        // 1. The branch is deleted at the remote, and GitHub and GitLab say so with their own
        //    payloads (GitHub: `deleted: true`, `after` all zeros; GitLab: `after` all zeros,
        //    `checkout_sha` null). Reported: 202 `triggered` for commit 0000…, failed runs.
        try sh("git -C '\(s.remote)' update-ref -d refs/heads/main")
        for (provider, name) in [("github", "github-push-branch-deleted.json"), ("gitlab", "gitlab-push-branch-deleted.json")] {
            let body = Self.fixture(name)
            let answer = try Self.deliver(s, provider, s.name, body, Self.signed(provider, body, secret: secret, event: "push"))
            #expect(answer.code == 200, "\(provider): \(answer)")
            #expect(answer.body.contains("\"ignored\"") && answer.body.contains("refs/heads/main was deleted"), "\(provider): \(answer)")
            #expect(!answer.body.contains("0000000000"), "\(provider): \(answer)")
        }
        try await Task.sleep(for: .seconds(2))  // a run, had one been requested, would have started
        #expect(try s.history().count == runs, "a branch deletion started a run")
        let after = try s.deploymentStatus()
        #expect(after["deployed_commit"] as? String == before["deployed_commit"] as? String)
        #expect(after["last_error"] == nil, "\(after)")
        #expect(after["failed_commit"] == nil, "\(after)")
        #expect(await httpGet(s.appURL)?.1 == "version 1\n")

        // 2. A form-encoded hook (GitHub's other content type; the signature covers the raw
        //    form body): the push is refused saying what to change, and so is the ping, so the
        //    setup does not look fine until the first push (reported: the ping got 200).
        for (name, event) in [("github-push.form", "push"), ("github-ping.form", "ping")] {
            let body = Self.fixture(name)
            let answer = try Self.deliver(
                s, "github", s.name, body,
                Self.signed("github", body, secret: secret, event: event) + ["Content-Type: application/x-www-form-urlencoded"])
            #expect(answer.code == 400, "\(event): \(answer)")
            #expect(answer.body.contains("set the webhook's content type to application/json"), "\(event): \(answer)")
            if event == "ping" { #expect(answer.body.contains("ping received and verified, but pushes would be refused"), "\(answer)") }
        }
        // The same ping as JSON is fine.
        let ping = Self.fixture("github-ping.json")
        let pong = try Self.deliver(s, "github", s.name, ping, Self.signed("github", ping, secret: secret, event: "ping"))
        #expect(pong.code == 200 && pong.body.contains("\"ignored\""), "\(pong)")
        #expect(try s.history().count == runs)
    }

    // MARK: Helpers

    struct Answer: CustomStringConvertible {
        var code: Int
        var body: String
        var retryAfter: String
        var description: String { "\(code) \(body)" }
    }

    /// A payload of Tests/ServicesTests/Fixtures/webhooks.
    static func fixture(_ name: String) -> Data {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("ServicesTests/Fixtures/webhooks/\(name)")
        return FileManager.default.contents(atPath: url.path) ?? Data()
    }

    /// The headers `provider` sends with `body` for `event`, signed with (or carrying) `secret`.
    static func signed(_ provider: String, _ body: Data, secret: String, event: String) -> [String] {
        let signature = WebhookVerifier.signature(body: body, secret: secret)
        let id = UUID().uuidString
        switch provider {
        case "github": return ["X-GitHub-Event: \(event)", "X-GitHub-Delivery: \(id)", "X-Hub-Signature-256: sha256=\(signature)"]
        case "gitea": return ["X-Gitea-Event: \(event)", "X-Gitea-Delivery: \(id)", "X-Gitea-Signature: \(signature)"]
        default:
            return ["X-Gitlab-Event: \(event == "push" ? "Push Hook" : event)", "X-Gitlab-Event-UUID: \(id)", "X-Gitlab-Token: \(secret)"]
        }
    }

    /// POSTs `body` to `/hooks/PROVIDER/NAME` with `headers` (JSON unless they say otherwise).
    static func deliver(_ s: Scenario, _ provider: String, _ name: String, _ body: Data, _ headers: [String]) throws -> Answer {
        let file = s.dir + "/delivery-\(UUID().uuidString)"
        #expect(FileManager.default.createFile(atPath: file, contents: body))
        defer { try? FileManager.default.removeItem(atPath: file) }
        return try deliver(s, provider, name, file: file, headers)
    }

    static func deliver(_ s: Scenario, _ provider: String, _ name: String, file: String, _ headers: [String]) throws -> Answer {
        var arguments = [
            "-s", "-o", "-", "-w", "\n%{http_code} %header{retry-after}", "-X", "POST", "-H", "Expect:", "--data-binary", "@" + file,
        ]
        if !headers.contains(where: { $0.lowercased().hasPrefix("content-type:") }) {
            arguments += ["-H", "Content-Type: application/json"]
        }
        for header in headers { arguments += ["-H", header] }
        let result = try runProgram("/usr/bin/curl", arguments + ["\(s.apiURL)/hooks/\(provider)/\(name)"])
        var lines = result.stdout.split(separator: "\n", omittingEmptySubsequences: false)
        let last = lines.popLast().map(String.init) ?? ""
        let code = Int(last.prefix { $0 != " " }) ?? 0
        return Answer(code: code, body: lines.joined(separator: "\n"), retryAfter: String(last.drop { $0 != " " }.dropFirst()))
    }

    static func webhookSecret(_ s: Scenario) throws -> String {
        try (s.json("repo", "webhook", s.name) as? [String: Any])?["secret"] as? String ?? ""
    }

    /// Messages of the deployment's `webhook` events, newest first.
    static func webhookEvents(_ s: Scenario) async throws -> [String] {
        let answer = await httpGet(s.apiURL + "/api/events?deployment=\(s.name)&limit=100", bearer: s.adminKey)
        let events = try JSONSerialization.jsonObject(with: Data((answer?.1 ?? "[]").utf8)) as? [[String: Any]] ?? []
        return events.filter { $0["kind"] as? String == "webhook" }.compactMap { $0["message"] as? String }
    }
}
