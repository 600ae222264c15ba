import ArgumentParser
import Foundation
import Services

/// `stevedore doctor [--json]`: one line per check with ✓ (passed), ! (passed with a warning)
/// or ✗ (failed) and a fix; exit 1 if any failed.
struct DoctorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "doctor",
        abstract: "Check the state root, keys, Docker engine, Compose, the daemon and systemd; print a fix for each problem.")

    @OptionGroup var options: ClientOptions
    @Flag(help: "Print JSON.") var json = false

    func run() async throws {
        let checks = await Doctor.run(environment: options.environment)
        if json {
            try printJSON(checks)
        } else {
            let width = checks.map(\.name.count).max() ?? 0
            for check in checks {
                let name = check.name.padding(toLength: width, withPad: " ", startingAt: 0)
                print("\(check.ok ? (check.warning ? "!" : "✓") : "✗") \(name)  \(check.detail)")
                if let fix = check.fix, !check.ok || check.warning { print("  \(String(repeating: " ", count: width))  fix: \(fix)") }
            }
        }
        if checks.contains(where: { !$0.ok }) { throw ExitCode(1) }
    }
}
