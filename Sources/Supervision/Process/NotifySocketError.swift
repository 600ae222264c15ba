import Dispatch
import Foundation
import Synchronization

/// Errors of ``NotifySocket``.
public enum NotifySocketError: Error, Sendable, CustomStringConvertible {
    /// A socket call failed; `call` names it.
    case system(call: String, path: String, errno: Int32)
    /// The path does not fit in `sockaddr_un.sun_path` (107 bytes).
    case pathTooLong(String)

    public var description: String {
        switch self {
        case .system(let call, let path, let code): return "\(call) on notify socket \(path) failed: \(String(cString: strerror(code)))"
        case .pathTooLong(let path): return "notify socket path too long (max 107 bytes): \(path)"
        }
    }
}
