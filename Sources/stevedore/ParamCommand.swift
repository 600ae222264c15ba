import ArgumentParser
import Foundation
import Services

/// `stevedore param set|get|list|unset`: a deployment's parameters (secrets and settings, stored
/// encrypted, given to Compose as environment variables).
struct ParamCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "param", abstract: "Set, read, list and remove a deployment's parameters (Compose environment).",
        discussion: "Parameters reach the containers on the next `stevedore deploy up NAME`; changing one never redeploys by itself.",
        subcommands: [Set.self, Get.self, List.self, Unset.self])

    /// The parameter name argument, validated.
    struct KeyArgument: ParsableArguments {
        @Argument(help: "Parameter name (^[A-Za-z_][A-Za-z0-9_]*$; STEVEDORE_* is reserved).") var key: String

        func validate() throws {
            do { try Validation.parameterName(key) } catch { throw ValidationError(String(describing: error)) }
        }
    }

    struct Set: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Set a parameter; without VALUE (or with --stdin) the value is read from standard input.",
            discussion: "Reading from stdin keeps secrets out of the shell history and `ps`; one trailing newline is removed.")

        @OptionGroup var options: ClientOptions
        @OptionGroup var deployment: DeploymentNameArgument
        @OptionGroup var key: KeyArgument
        @Argument(help: "The value (omit it to read standard input).") var value: String?
        @Flag(help: "Read the value from standard input.") var stdin = false
        @Flag(name: .customLong("public"), help: "The value is not a secret: it may appear in logs (the log streamer does not redact it).")
        var isPublic = false
        @Flag(help: "Print JSON.") var json = false

        func validate() throws {
            if stdin, value != nil { throw ValidationError("give VALUE or --stdin, not both") }
        }

        func run() async throws {
            var text: String
            if let value {
                text = value
            } else {
                let data = FileHandle.standardInput.readDataToEndOfFile()
                guard let decoded = String(data: data, encoding: .utf8) else {
                    throw ValidationError("the value on standard input is not UTF-8 text")
                }
                text = decoded
                if text.hasSuffix("\r\n") { text.removeLast(2) } else if text.hasSuffix("\n") { text.removeLast() }
            }
            let response: ParameterChangeResponse = try await options.client().put(
                "/api/deployments/\(deployment.name)/params/\(key.key)",
                body: SetParameterRequest(value: text, public: isPublic ? true : nil))
            if json { return try printJSON(response) }
            print("\(deployment.name): \(key.key) \(response.changed ? "set" : "unchanged")")
            if let notice = response.notice { print("note: \(notice)") }
            print(response.hint)
        }
    }

    struct Get: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print a parameter's value.")

        @OptionGroup var options: ClientOptions
        @OptionGroup var deployment: DeploymentNameArgument
        @OptionGroup var key: KeyArgument
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            let response: ParameterValueResponse = try await options.client().get("/api/deployments/\(deployment.name)/params/\(key.key)")
            if json { return try printJSON(response) }
            print(response.value)
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List a deployment's parameter names (not their values).")

        @OptionGroup var options: ClientOptions
        @OptionGroup var deployment: DeploymentNameArgument
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            let response: ParameterListResponse = try await options.client().get("/api/deployments/\(deployment.name)/params")
            if json { return try printJSON(response) }
            if response.keys.isEmpty {
                return print("\(deployment.name) has no parameters; set one with `stevedore param set \(deployment.name) KEY`")
            }
            for key in response.keys { print(key) }
        }
    }

    struct Unset: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove a parameter.")

        @OptionGroup var options: ClientOptions
        @OptionGroup var deployment: DeploymentNameArgument
        @OptionGroup var key: KeyArgument
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            let response: ParameterChangeResponse = try await options.client().delete(
                "/api/deployments/\(deployment.name)/params/\(key.key)")
            if json { return try printJSON(response) }
            print("\(deployment.name): \(key.key) removed")
            print(response.hint)
        }
    }
}
