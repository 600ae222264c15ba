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
            abstract: "Run `compose up -d --build` on the checkout and resume polling and reconciling.")
        @OptionGroup var arguments: Arguments
        func run() async throws { try await arguments.act("up") }
    }

    struct Down: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run `compose down` and pause the deployment until `deploy up`.")
        @OptionGroup var arguments: Arguments
        func run() async throws { try await arguments.act("down") }
    }
}
