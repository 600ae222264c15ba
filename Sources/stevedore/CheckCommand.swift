import ArgumentParser
import Services

/// `stevedore check NAME`: remote head against checkout and deployment, without touching the
/// checkout.
struct CheckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Show the current and the remote commit and whether an update is available (the checkout is not touched).")

    @OptionGroup var options: ClientOptions
    @OptionGroup var deployment: DeploymentNameArgument
    @Flag(help: "Print JSON.") var json = false

    func run() async throws {
        let result: CheckResponse = try await options.client().get("/api/deployments/\(deployment.name)/check", long: true)
        if json { return try printJSON(result) }
        print("deployment: \(result.deployment) (\(result.url), branch \(result.branch))")
        print("current:    \(result.currentCommit ?? "(not synced yet)")")
        print("deployed:   \(result.deployedCommit ?? "(never deployed)")")
        print("remote:     \(result.remoteCommit)")
        print(result.updateAvailable ? "update available" : "up to date")
    }
}
