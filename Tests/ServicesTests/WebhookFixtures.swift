import Foundation
import Services

/// The webhook payloads of Fixtures/webhooks (README.md there): deliveries in the shapes the
/// providers document, and the fuzz corpus's seeds.
enum WebhookFixtures {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/webhooks")

    /// The bytes of `name` (e.g. `github-push.json`).
    static func body(_ name: String) -> Data {
        guard let data = FileManager.default.contents(atPath: directory.appendingPathComponent(name).path) else {
            fatalError("missing fixture \(name) in \(directory.path)")
        }
        return data
    }

    /// Every fixture: name, provider (its name's first part) and body.
    static let all: [(name: String, provider: WebhookProvider, body: Data)] = {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return names.sorted().compactMap { name in
            guard name.hasSuffix(".json") || name.hasSuffix(".form"),
                let provider = WebhookProvider(rawValue: String(name.prefix { $0 != "-" }))
            else { return nil }
            return (name, provider, body(name))
        }
    }()

    /// The headers `provider` sends with a delivery of `event` (`push`, `ping`) signed with
    /// `secret` (GitHub, Gitea) or carrying it (GitLab), as documented.
    static func headers(_ provider: WebhookProvider, event: String, body: Data, secret: String, form: Bool = false) -> [String: String] {
        let signature = WebhookVerifier.signature(body: body, secret: secret)
        var headers = ["Content-Type": form ? "application/x-www-form-urlencoded" : "application/json"]
        switch provider {
        case .github:
            headers["X-GitHub-Event"] = event
            headers["X-GitHub-Delivery"] = "72d3162e-cc78-11e3-81ab-4c9367dc0958"
            headers["X-Hub-Signature-256"] = "sha256=" + signature
            headers["User-Agent"] = "GitHub-Hookshot/044aadd"
        case .gitea:
            headers["X-Gitea-Event"] = event
            headers["X-Gitea-Delivery"] = "f6266f16-1bf3-46a5-9ea4-602e06ead473"
            headers["X-Gitea-Signature"] = signature
        case .gitlab:
            headers["X-Gitlab-Event"] = event == "push" ? "Push Hook" : event
            headers["X-Gitlab-Event-UUID"] = "13792a34-cac6-4fda-95a8-c58e00a3954e"
            headers["X-Gitlab-Token"] = secret
        }
        return headers
    }
}
