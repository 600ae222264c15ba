import ArgumentParser
import Foundation
import Services

/// `stevedore status [NAME] [--json]`.
struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status", abstract: "Show deployments: commits, health of their containers, last error.")

    @OptionGroup var options: ClientOptions
    @Argument(help: "One deployment (default: all).") var name: String?
    @Flag(help: "Print JSON.") var json = false

    func validate() throws {
        if let name {
            do { try Validation.deploymentName(name) } catch { throw ValidationError(String(describing: error)) }
        }
    }

    func run() async throws {
        let client = try options.client()
        if let name {
            let view: DeploymentView = try await client.get("/api/status/\(name)")
            if json { return try printJSON(view) }
            printDetail(view)
        } else {
            let views: [DeploymentView] = try await client.get("/api/status")
            if json { return try printJSON(views) }
            if views.isEmpty { return print("no deployments; add one with `stevedore repo add NAME URL`") }
            print(
                Table.render(
                    header: ["NAME", "HEALTH", "STATE", "RUNNING", "REMOTE", "LAST RUN", "LAST ERROR"],
                    rows: views.map {
                        [
                            $0.name, $0.health.state,
                            $0.subtree.map { "subtree \($0)" } ?? ($0.enabled ? ($0.degraded.isEmpty ? "enabled" : "degraded") : "paused"),
                            short($0.deployedCommit),
                            short($0.remoteCommit), $0.lastRun.map { $0.outcome ?? "running" } ?? "-",
                            $0.lastError.map { String(Table.oneLine($0).prefix(80)) } ?? "-",
                        ]
                    }))
        }
    }

    private func printDetail(_ view: DeploymentView) {
        let now = Date().timeIntervalSince1970
        func ago(_ t: Double?) -> String { t.map { Table.duration(now - $0) + " ago" } ?? "never" }
        print(
            """
            deployment: \(view.name)
            repository: \(view.url) (branch \(view.branch), polled every \(view.pollIntervalSeconds) s)
            state:      \(view.enabled ? "enabled" : "paused (deploy down); `stevedore deploy up \(view.name)` resumes")
            health:     \(view.health.state)\(view.health.detail.map { " (\($0))" } ?? "")
            remote:     \(short(view.remoteCommit)) (checked \(ago(view.lastCheckedAt)))
            synced:     \(short(view.syncedCommit)) (\(ago(view.syncedAt)))
            running:    \(short(view.deployedCommit)) (deployed \(ago(view.deployedAt)))
            pipeline:   \(view.subtree.map { "not running (subtree \($0))" } ?? view.pipeline ?? "-")
            """)
        if let subtree = view.subtree {
            let next = view.subtreeNextStartSeconds.map { "; started again in \(Table.duration($0))" } ?? ""
            let advice =
                subtree == "backoff"
                ? "once the cause is fixed, `stevedore supervisor restart deployments/\(view.name)` starts it now"
                : "`stevedore supervisor start deployments/\(view.name)` starts it"
            print("subtree:    \(subtree)\(next): nothing polls, reconciles or deploys it meanwhile (\(advice))")
            if let reason = view.subtreeReason { print("            \(Table.oneLine(reason).prefix(300))") }
        }
        for node in view.degraded {
            let child = node.path.split(separator: "/").last.map(String.init) ?? node.path
            print("degraded:   \(child): \(Table.oneLine(node.reason ?? "no reason given").prefix(300))")
        }
        if let run = view.lastRun {
            let outcome = run.outcome ?? "running"
            print(
                "last run:   \(outcome) \(short(run.targetCommit)) (\(run.triggers), \(ago(run.startedAt)))"
                    + (run.reason.map { "\n            \(Table.oneLine($0).prefix(300))" } ?? ""))
        }
        if let failed = view.failedCommit {
            print("failed:     \(short(failed)) is not retried until a newer commit arrives or `stevedore deploy up \(view.name) --force`")
        }
        if let error = view.lastError { print("last error: \(error)") }
        if !view.health.containers.isEmpty {
            print("")
            print(
                Table.render(
                    header: ["CONTAINER", "SERVICE", "STATE", "HEALTH"],
                    rows: view.health.containers.map { [$0.name, $0.service ?? "-", $0.state, $0.health ?? "-"] }))
            for warning in ContainerView.logWarnings(view.health.containers) { print("warning: \(warning)") }
        }
    }
}

func short(_ commit: String?) -> String { commit.map { String($0.prefix(12)) } ?? "-" }
