import ArgumentParser
import Foundation
import Services

/// `stevedore init`: creates the state root and its keys if absent (idempotent).
struct InitCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Create the state root and its keys (0600) if absent; never touches existing keys or state.")

    @OptionGroup var options: ClientOptions
    @Flag(help: "Print JSON.") var json = false

    func run() async throws {
        let configuration = try options.configuration()
        let result = try await StateRootSetup.initialize(root: configuration.root, environment: ProcessInfo.processInfo.environment)
        if json { return try printJSON(result) }
        if result.created.isEmpty {
            print("state root \(result.root) ready (keys already present)")
        } else {
            print("state root \(result.root) ready; created \(result.created.joined(separator: ", "))")
        }
    }
}
