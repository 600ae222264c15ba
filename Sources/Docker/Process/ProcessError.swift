import Foundation
import Subprocess
import Synchronization

#if canImport(System)
    import System
#else
    import SystemPackage
#endif

/// Errors of ``ProcessRunner``.
public enum ProcessError: Error, Sendable, CustomStringConvertible {
    /// The command did not finish within `timeout`; its process group was sent SIGTERM, then
    /// SIGKILL.
    case timedOut(command: [String], timeout: Duration, output: String)
    /// The command exited non-zero or was killed by a signal.
    case failed(ProcessResult)
    /// The command could not be started (not found, not executable, …).
    case launchFailed(command: [String], message: String)

    public var description: String {
        switch self {
        case .timedOut(let command, let timeout, let output):
            return "\(command.joined(separator: " ")) timed out after \(Int(timeout.components.seconds)) s" + Self.tail(output)
        case .failed(let result):
            // The cause first (what a status line has room for), the full command last.
            let how = result.exitCode.map { "exit status \($0)" } ?? "signal \(result.signal ?? 0)"
            let program = result.command.prefix { !$0.hasPrefix("-") }.joined(separator: " ")
            return "\(program) failed (\(how))" + Self.tail(result.output) + "\n  (command: \(result.command.joined(separator: " ")))"
        case .launchFailed(let command, let message):
            return "cannot run \(command.first ?? "?"): \(message)"
        }
    }

    private static func tail(_ output: String) -> String {
        let lines = output.split(separator: "\n", omittingEmptySubsequences: true).suffix(8)
        return lines.isEmpty ? "" : ":\n  " + lines.joined(separator: "\n  ")
    }
}
