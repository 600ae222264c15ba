import ArgumentParser
import Foundation
import Services
import Store

/// `stevedore history NAME [--limit N] [--json]`: the deployment's pipeline runs, newest first.
struct HistoryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "history", abstract: "Show a deployment's deploy runs: trigger, commit, outcome, reason.")

    @OptionGroup var options: ClientOptions
    @OptionGroup var deployment: DeploymentNameArgument
    @Option(help: "How many runs, newest first (1 to 1000).") var limit = 20
    @Flag(help: "Print JSON.") var json = false

    func validate() throws {
        guard (1...1000).contains(limit) else { throw ValidationError("invalid --limit \(limit); allowed: 1 to 1000") }
    }

    func run() async throws {
        let runs: [RunRecord] = try await options.client().get("/api/deployments/\(deployment.name)/history?limit=\(limit)")
        if json { return try printJSON(runs) }
        if runs.isEmpty { return print("\(deployment.name): no deploy runs yet") }
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withFullDate, .withTime, .withColonSeparatorInTime, .withSpaceBetweenDateAndTime]
        print(
            Table.render(
                header: ["RUN", "STARTED (UTC)", "TOOK", "TRIGGER", "COMMIT", "OUTCOME", "REASON"],
                rows: runs.map { run in
                    [
                        String(run.id), formatter.string(from: Date(timeIntervalSince1970: run.startedAt)),
                        run.endedAt.map { Table.duration($0 - run.startedAt) } ?? "-", run.triggers, short(run.targetCommit),
                        run.outcome ?? "running", run.reason.map { String(Table.oneLine($0).prefix(100)) } ?? "-",
                    ]
                }))
    }
}
