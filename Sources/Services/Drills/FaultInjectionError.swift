import Logging
import Supervision
import Synchronization

/// Errors of fault injection.
public enum FaultInjectionError: Error, Sendable, CustomStringConvertible {
    /// The daemon was started without fault injection.
    case disabled
    /// No running, injectable worker at that path; `injectable` lists the ones there are.
    case notInjectable(String, injectable: [String])
    /// The injected `throw` itself (the child's exit reason).
    case injected(path: String)
    /// `clear` at a path that is not in a crash loop; `crashLooping` lists those that are.
    case notCrashLooping(String, crashLooping: [String])

    public var description: String {
        switch self {
        case .disabled:
            "fault injection is off; start the daemon with `stevedore daemon --fault-injection` or STEVEDORE_FAULT_INJECTION=1 (for drills and tests only)"
        case .notInjectable(let path, let injectable):
            "no running worker '\(path)' to inject a fault into (faults go to workers, not supervisors); running workers: \(injectable.joined(separator: ", "))"
        case .injected(let path):
            "injected fault: throw at \(path)"
        case .notCrashLooping(let path, let crashLooping):
            "'\(path)' is not in a crash loop; crash loops: \(crashLooping.isEmpty ? "none" : crashLooping.joined(separator: ", "))"
        }
    }
}
