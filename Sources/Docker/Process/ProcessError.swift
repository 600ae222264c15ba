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
            // The cause first (what a status line has room for), then the tail, the full
            // command last.
            let how = result.exitCode.map { "exit status \($0)" } ?? "signal \(result.signal ?? 0)"
            let program = result.command.prefix { !$0.hasPrefix("-") }.joined(separator: " ")
            let causes = Self.causes(in: result.output)
            let lead = causes.isEmpty ? "" : ": " + causes.joined(separator: "; ")
            return "\(program) failed (\(how))\(lead)" + Self.tail(result.output, separator: causes.isEmpty ? ":" : "")
                + "\n  (command: \(result.command.joined(separator: " ")))"
        case .launchFailed(let command, let message):
            return "cannot run \(command.first ?? "?"): \(message)"
        }
    }

    /// The lines of `output` that say what went wrong, in order, at most three (the last
    /// ones), each at most 400 characters: the Engine API's `Error response from daemon: …`,
    /// Compose v1's `ERROR: …`, BuildKit's `failed to solve: …` with the failing build step
    /// (`> [web 2/3] RUN make:`), git's `fatal: …`, the classic builder's `… returned a non-zero code: N`, any line starting `Error`/`error:`. A
    /// BuildKit `#7 ERROR:` line is left out when `failed to solve:` repeats it. Empty when
    /// no line looks like an error (the tail is all there is).
    public static func causes(in output: String) -> [String] {
        var errors: [String] = []
        var step: String?
        for raw in output.split(separator: "\n") {
            var line = raw.trimmingCharacters(in: .whitespaces)
            if line.hasPrefix("> ["), line.hasSuffix(":") {
                step = String(line.dropFirst(2).dropLast())
                continue
            }
            // BuildKit's progress prefix: `#12 `.
            if line.hasPrefix("#"), let space = line.firstIndex(of: " "),
                line[line.index(after: line.startIndex)..<space].allSatisfy(\.isNumber)
            {
                line = line[line.index(after: space)...].trimmingCharacters(in: .whitespaces)
            }
            let lower = line.lowercased()
            let isError =
                line.contains("Error response from daemon:") || lower.hasPrefix("error:") || lower.hasPrefix("error ")
                || line.hasPrefix("ERROR") || lower.hasPrefix("failed to solve:") || lower.hasPrefix("fatal:")
                || line.contains("returned a non-zero code")
            guard isError else { continue }
            let collapsed = line.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ")
            if !errors.contains(collapsed) { errors.append(collapsed) }
        }
        if errors.contains(where: { $0.lowercased().hasPrefix("failed to solve:") }) {
            errors.removeAll { $0.hasPrefix("ERROR: executor failed") || $0.hasPrefix("ERROR: process ") }
        }
        var result = errors.suffix(3).map { $0.count > 400 ? String($0.prefix(400)) + "…" : $0 }
        if let step, !result.isEmpty { result.append("build step \(step)") }
        return result
    }

    /// The last 8 lines, indented on lines of their own after `separator`.
    private static func tail(_ output: String, separator: String = ":") -> String {
        let lines = output.split(separator: "\n", omittingEmptySubsequences: true).suffix(8)
        return lines.isEmpty ? "" : separator + "\n  " + lines.joined(separator: "\n  ")
    }
}
