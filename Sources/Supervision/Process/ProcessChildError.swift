import Foundation
import Logging
import Subprocess
import Synchronization

#if canImport(System)
    import System
#else
    import SystemPackage
#endif

/// Why a process-isolated child ended abnormally.
public enum ProcessChildError: Error, Sendable, CustomStringConvertible {
    /// Exited with a non-zero status.
    case exited(command: String, status: Int32)
    /// Killed by a signal (a trap: SIGILL, SIGTRAP, SIGABRT; or SIGKILL).
    case signaled(command: String, signal: Int32)
    /// The command could not be started.
    case launchFailed(command: String, message: String)

    public var description: String {
        switch self {
        case .exited(let command, let status): return "\(command) exited with status \(status)"
        case .signaled(let command, let signal): return "\(command) killed by signal \(signal) (\(String(cString: strsignal(signal))))"
        case .launchFailed(let command, let message): return "cannot start \(command): \(message)"
        }
    }
}
