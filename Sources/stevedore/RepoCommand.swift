import ArgumentParser
import Services
import Store

/// `stevedore repo …`: register and list repositories.
struct RepoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "repo", abstract: "Register and list Git repositories (deployments).",
        subcommands: [Add.self, List.self])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Register a repository; the daemon syncs and deploys it on its first poll.")

        @OptionGroup var options: ClientOptions
        @OptionGroup var deployment: DeploymentNameArgument
        @Argument(help: "Git URL (https://…, ssh://…, git@host:path, file://… or a local path).") var url: String
        @Option(help: "Branch to follow.") var branch = "main"
        @Option(help: "Seconds between remote checks, e.g. 30s or 5m (default: the daemon's STEVEDORE_POLL_INTERVAL).")
        var pollInterval: String?
        @Flag(help: "Print JSON.") var json = false

        func validate() throws {
            do {
                try Validation.repositoryURL(url)
                try Validation.branch(branch)
                if let pollInterval { _ = try Validation.durationSeconds(pollInterval, name: "--poll-interval", minimum: 1) }
            } catch {
                throw ValidationError(String(describing: error))
            }
        }

        func run() async throws {
            let request = AddRepositoryRequest(name: deployment.name, url: url, branch: branch, pollInterval: pollInterval)
            let record: DeploymentRecord = try await options.client().post("/api/repos", body: request)
            if json { return try printJSON(record) }
            print("added \(record.name): \(record.url) (branch \(record.branch), polled every \(record.pollIntervalSeconds) s)")
            print("the daemon syncs and deploys it now; follow with `stevedore status \(record.name)`")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List registered repositories.")

        @OptionGroup var options: ClientOptions
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            let records: [DeploymentRecord] = try await options.client().get("/api/repos")
            if json { return try printJSON(records) }
            if records.isEmpty { return print("no repositories; add one with `stevedore repo add NAME URL`") }
            print(Table.render(
                header: ["NAME", "BRANCH", "POLL", "ENABLED", "URL"],
                rows: records.map { [$0.name, $0.branch, "\($0.pollIntervalSeconds)s", $0.enabled ? "yes" : "paused", Table.oneLine($0.url)] }))
        }
    }
}
