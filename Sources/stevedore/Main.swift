import ArgumentParser
import Foundation

/// Entry point. Exit codes: 0 success, 1 error (message on stderr), 2 usage error.
@main
struct Main {
    static func main() async {
        do {
            var command = try Stevedore.parseAsRoot(arguments)
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            fail(error)
        }
    }

    /// The command line without the program name. Swift on Linux finds `argv` through
    /// `environ`; a preloaded library that adds to the environment before `main` (libfaketime
    /// does, to share its clock with child processes) leaves `CommandLine.arguments` empty, and
    /// `stevedore daemon` would print the help and exit 0. The kernel's copy,
    /// `/proc/self/cmdline` (NUL-separated, proc(5)), is read then.
    static var arguments: [String] {
        if !CommandLine.arguments.isEmpty { return Array(CommandLine.arguments.dropFirst()) }
        guard let data = FileManager.default.contents(atPath: "/proc/self/cmdline"), !data.isEmpty else { return [] }
        var fields = data.split(separator: 0, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
        if fields.last == "" { fields.removeLast() }
        return Array(fields.dropFirst())
    }

    /// Help and version requests print and exit 0; usage errors print the usage and exit 2;
    /// every other error prints `error: <message>` and exits 1. With `--json` on the command
    /// line, both kinds of error are one JSON object on stderr instead (``JSONError``), with
    /// the same exit codes, so a script reading `--json` output never has to parse prose.
    static func fail(_ error: any Error) -> Never {
        if let exitCode = error as? ExitCode { exit(exitCode.rawValue) }
        let json = JSONError.requested(by: CommandLine.arguments)
        switch Stevedore.exitCode(for: error) {
        case .success:
            Stevedore.exit(withError: error)
        case .validationFailure:
            if json {
                JSONError(error: Stevedore.message(for: error), exitCode: 2).write()
            } else {
                FileHandle.standardError.write(Data((Stevedore.fullMessage(for: error) + "\n").utf8))
            }
            exit(2)
        default:
            if json {
                JSONError(error: String(describing: error), exitCode: 1, httpStatus: JSONError.httpStatus(of: error)).write()
            } else {
                FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            }
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
            DaemonCommand.self, RepoCommand.self, CheckCommand.self, DeployCommand.self, HistoryCommand.self, ParamCommand.self,
            StatusCommand.self,
            SupervisorCommand.self, DoctorCommand.self, InitCommand.self, VersionCommand.self, LogsCommand.self,
            LogStreamerCommand.self,
        ])
}
