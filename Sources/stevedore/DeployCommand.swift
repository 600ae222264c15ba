import ArgumentParser
import Services

/// `stevedore deploy sync|up|down NAME`.
struct DeployCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "deploy", abstract: "Sync, start or stop one deployment by hand.",
        subcommands: [Sync.self, Up.self, Down.self])

    /// What every `deploy` subcommand takes.
    struct Arguments: ParsableArguments {
        @OptionGroup var options: ClientOptions
        @OptionGroup var deployment: DeploymentNameArgument
        @Flag(help: "Print JSON.") var json = false

        /// `POST /api/deployments/NAME/<action>` and prints the answer.
        func act(_ action: String) async throws {
            let body: [String: String]? = nil
            let response: ActionResponse = try await options.client().post("/api/deployments/\(deployment.name)/\(action)", body: body)
            if json { return try printJSON(response) }
            print("\(deployment.name): \(response.message)")
        }
    }

    struct Sync: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Fetch the branch into the deployment's checkout.")
        @OptionGroup var arguments: Arguments
        func run() async throws { try await arguments.act("sync") }
    }

    struct Up: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Deploy the newest commit (fetch, checks, compose up, health gate, rollback on failure) and resume polling and reconciling.",
            discussion: """
                Waits for the run and exits 1 unless the commit runs and is healthy (a rolled-back deploy is a failure).                 A commit that failed before is not retried without --force; the previous healthy commit is brought up instead.
                """)
        @OptionGroup var arguments: Arguments
        @Flag(help: "Retry the commit that failed or was rolled back last time.") var force = false

        func run() async throws {
            let client = try arguments.options.client()
            let name = arguments.deployment.name
            let result: RunResult = try await client.post(
                "/api/deployments/\(name)/up",
                body: AdminAPI.UpRequest(force: force, trigger: "cli"))
            if arguments.json { return try printJSON(result) }
            let commit = result.commit.map { String($0.prefix(12)) } ?? "-"
            switch result.outcome {
            case RunOutcome.unchanged: print("\(name): \(commit) already running")
            default: print("\(name): deployed \(commit) (healthy)")
            }
            if let reason = result.reason { print("note: \(reason)") }
        }
    }

    struct Down: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run `compose down` and pause the deployment until `deploy up`.")
        @OptionGroup var arguments: Arguments
        func run() async throws { try await arguments.act("down") }
    }
}
