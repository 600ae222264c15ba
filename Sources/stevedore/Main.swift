import ArgumentParser
import Foundation

/// Entry point. Exit codes: 0 success, 1 error (message on stderr), 2 usage error.
@main
struct Main {
    static func main() async {
        let command: any ParsableCommand
        do {
            command = try Stevedore.parseAsRoot()
        } catch {
            let code = Stevedore.exitCode(for: error)
            if code == .success { Stevedore.exit(withError: error) }  // --help, --version
            FileHandle.standardError.write(Data((Stevedore.fullMessage(for: error) + "\n").utf8))
            exit(2)
        }
        do {
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                var syncCommand = command
                try syncCommand.run()
            }
        } catch let exitCode as ExitCode {
            exit(exitCode.rawValue)
        } catch {
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            exit(1)
        }
    }
}

/// `stevedore`: the root command.
struct Stevedore: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stevedore",
        abstract: "Keep Docker Compose applications from Git repositories running on this host.",
        discussion: """
            The daemon (`stevedore daemon`) polls each registered repository, syncs it and runs \
            `docker compose up`; the other commands talk to it over its admin API.
            Environment: STEVEDORE_ROOT (state, default /opt/stevedore), STEVEDORE_LISTEN_ADDR \
            (admin API, default 0.0.0.0:42107).
            """,
        subcommands: [
            DaemonCommand.self, RepoCommand.self, DeployCommand.self, StatusCommand.self,
            SupervisorCommand.self, VersionCommand.self,
        ])
}
