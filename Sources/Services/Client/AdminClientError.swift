import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// Errors a client of the admin API sees.
public enum AdminClientError: Error, Sendable, CustomStringConvertible {
    /// Nothing listens at the address: the daemon is not running (or listens elsewhere).
    case daemonNotRunning(url: String, detail: String)
    /// The daemon closed the connection before it answered (it stopped, crashed or was
    /// restarted while the request was going).
    case connectionLost(url: String, detail: String)
    /// The daemon answered with an error (`{"error": …}`).
    case api(status: Int, message: String)
    /// The answer was not the JSON expected.
    case badResponse(String)

    public var description: String {
        switch self {
        case .daemonNotRunning(let url, _):
            return
                "the stevedore daemon is not running at \(url): start it with `stevedore daemon` (or `systemctl start stevedore`), or set STEVEDORE_LISTEN_ADDR / STEVEDORE_ROOT to match the running daemon"
        case .connectionLost(let url, _):
            return
                "the stevedore daemon at \(url) closed the connection before answering (did it stop or restart?); `stevedore status` shows whether it is back and what the last run did"
        case .api(let status, let message):
            return status == 401 ? "not authorized (HTTP 401): \(message)" : message
        case .badResponse(let detail): return "unexpected answer from the daemon: \(detail)"
        }
    }
}
