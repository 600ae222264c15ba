import ArgumentParser
import Services

/// `stevedore deploy sync|up|down NAME`.
struct DeployCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "deploy", abstract: "Sync, start or stop one deployment by hand.",
        subcommands: [Sync.self, Up.self, Down.self])

    struct Sync: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Fetch the branch into the deployment's checkout.")
        @OptionGroup var options: ClientOptions
        @OptionGroup var deployment: DeploymentNameArgument
        @Flag(help: "Print JSON.") var json = false

        func run() async throws { try await act("sync", options, deployment.name, json) }
    }

    struct Up: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run `compose up -d --build` on the checkout and resume polling and reconciling.")
        @OptionGroup var options: ClientOptions
        @OptionGroup var deployment: DeploymentNameArgument
        @Flag(help: "Print JSON.") var json = false

        func run() async throws { try await act("up", options, deployment.name, json) }
    }

    struct Down: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run `compose down` and pause the deployment until `deploy up`.")
        @OptionGroup var options: ClientOptions
        @OptionGroup var deployment: DeploymentNameArgument
        @Flag(help: "Print JSON.") var json = false

        func run() async throws { try await act("down", options, deployment.name, json) }
    }
}

private func act(_ action: String, _ options: ClientOptions, _ name: String, _ json: Bool) async throws {
    let body: [String: String]? = nil
    let response: ActionResponse = try await options.client().post("/api/deployments/\(name)/\(action)", body: body)
    if json { return try printJSON(response) }
    print("\(name): \(response.message)")
}
