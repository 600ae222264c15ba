import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import Synchronization

/// Errors talking to the Docker engine.
public enum DockerError: Error, Sendable, CustomStringConvertible {
    /// Nothing answers on the socket (engine down: an external outage, reported as degraded).
    case unreachable(socket: String, detail: String)
    /// The engine answered with an error status.
    case api(status: Int, message: String, path: String)

    public var description: String {
        switch self {
        case .unreachable(let socket, let detail): return "Docker engine not reachable on \(socket): \(detail)"
        case .api(let status, let message, let path): return "Docker engine error \(status) on \(path): \(message)"
        }
    }
}
