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
        do {
            try await show(client)
        } catch {
            // The daemon's own state can explain the failure (a read-only state disk).
            for line in await daemonProblems(client) { FileHandle.standardError.write(Data((line + "\n").utf8)) }
            throw error
        }
    }

    private func show(_ client: AdminClient) async throws {
        if let name {
            let view: DeploymentView = try await client.get("/api/status/\(name)")
            if json { return try printJSON(view) }
            printDetail(view)
            for line in await daemonProblems(client) { print(line) }
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
                            $0.subtree.map { "subtree \($0)" } ?? ($0.enabled ? ($0.degraded == nil ? "enabled" : "degraded") : "paused"),
                            short($0.deployedCommit),
                            short($0.remoteCommit), $0.lastRun.map { $0.outcome ?? "running" } ?? "-",
                            $0.lastError.map { String(Table.oneLine($0).prefix(80)) } ?? "-",
                        ]
                    }))
            for view in views {
                for problem in view.degraded ?? [] {
                    print("\(problem.path) degraded: \(Table.oneLine(problem.reason ?? "-").prefix(300))")
                }
            }
            for line in await daemonProblems(client) { print(line) }
        }
    }

    private func printDetail(_ view: DeploymentView) {
        let now = Date().timeIntervalSince1970
        // A time after now: the clock was set back since (no RTC, NTP correcting a jump).
        func ago(_ t: Double?) -> String {
            t.map { now - $0 >= -1 ? Table.duration(max(0, now - $0)) + " ago" : Table.duration($0 - now) + " ahead of this clock" }
                ?? "never"
        }
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
            poller:     \(view.poller ?? "-")
            """)
        for problem in view.degraded ?? [] {
            print("degraded:   \(problem.path.split(separator: "/").last ?? ""): \(Table.oneLine(problem.reason ?? "-").prefix(300))")
        }
        if let subtree = view.subtree {
            let next = view.subtreeNextStartSeconds.map { "; started again in \(Table.duration($0))" } ?? ""
            let advice =
                subtree == "backoff"
                ? "once the cause is fixed, `stevedore supervisor restart deployments/\(view.name)` starts it now"
                : "`stevedore supervisor start deployments/\(view.name)` starts it"
            print("subtree:    \(subtree)\(next): nothing polls, reconciles or deploys it meanwhile (\(advice))")
            if let reason = view.subtreeReason { print("            \(Table.oneLine(reason).prefix(300))") }
        }
        if let run = view.lastRun {
            let outcome = run.outcome ?? "running"
            print(
                "last run:   \(outcome) \(short(run.targetCommit)) (\(run.triggers), \(ago(run.startedAt)))"
                    + (run.reason.map { "\n            \(Table.oneLine(firstLine($0)).prefix(300))" } ?? ""))
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

/// The first line of a reason (a failed command's output tail follows on lines of its own;
/// `history NAME --json` has it all).
func firstLine(_ text: String) -> String { text.split(separator: "\n", maxSplits: 1).first.map(String.init) ?? text }

func short(_ commit: String?) -> String { commit.map { String($0.prefix(12)) } ?? "-" }

/// The daemon's own degraded or unhealthy subsystems (outside `deployments/`), e.g. the
/// `store` child with `state disk full: …`, as lines; none if `/healthz` does not answer.
func daemonProblems(_ client: AdminClient) async -> [String] {
    guard let health = await client.health() else { return [] }
    return (health.unhealthy + health.degraded).filter { !$0.path.hasPrefix("deployments") }.map {
        "daemon \($0.state): \($0.path): \(Table.oneLine($0.reason ?? "-").prefix(300))"
    }
}
