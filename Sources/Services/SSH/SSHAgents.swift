import Docker
import Foundation
import Store
import Synchronization

/// The agent sockets of all deployments (the state of the `ssh-agent` child): one
/// ``SSHAgentServer`` per deployment at `<runtime dir>/agents/<name>/agent.sock`, each offering
/// only that deployment's key. The directory per deployment (mode 0700) is what a git worker
/// container gets mounted, so a restarted agent's new socket is visible to later workers.
public actor SSHAgents {
    /// `<runtime dir>/agents`.
    public nonisolated let directory: String
    private var servers: [String: SSHAgentServer] = [:]
    private var failures: [String: String] = [:]

    /// Longest socket path accepted: SwiftNIO's `SocketAddress(unixDomainSocketPath:)` refuses
    /// more than 103 bytes (a `sockaddr_un` holds 108 with the NUL; NIO keeps a margin).
    public static let maximumSocketPathBytes = 103

    /// The socket path of `name`.
    public nonisolated func socketPath(for name: String) -> String { agentDirectory(for: name) + "/" + GitAccess.agentSocketName }

    /// Why `name`'s socket could not be served last time, if it could not.
    public func failure(_ name: String) -> String? { failures[name] }
    private let keys = KeyTable()

    /// Keys by deployment, read by the socket handlers on NIO's threads.
    final class KeyTable: Sendable {
        let table = Mutex<[String: DeployKey]>([:])
        func withLock<R>(_ body: (inout [String: DeployKey]) -> R) -> R { table.withLock { body(&$0) } }
    }

    /// - Parameter runtimeDirectory: the daemon's runtime directory (`STEVEDORE_RUNTIME_DIR`).
    public init(runtimeDirectory: String) {
        directory = runtimeDirectory + "/agents"
    }

    /// The directory holding `name`'s socket (whether or not it is served now).
    public nonisolated func agentDirectory(for name: String) -> String { directory + "/" + name }

    /// Whether `name`'s socket is being served.
    public func isServing(_ name: String) -> Bool { servers[name] != nil }

    /// Names whose sockets are served, sorted.
    public var served: [String] { servers.keys.sorted() }

    /// Serves `key` for `name` (replacing the key if the socket is already served).
    ///
    /// - Throws: socket or file errors of the bind.
    public func serve(_ name: String, key: DeployKey) async throws {
        keys.withLock { $0[name] = key }
        guard servers[name] == nil else { return }
        try FileManager.default.createDirectory(
            atPath: directory, withIntermediateDirectories: true,
            attributes: [.posixPermissions: 0o700])
        chmod(directory, 0o700)
        let keys = self.keys
        let comment = "stevedore:\(name)"
        servers[name] = try await SSHAgentServer.start(path: socketPath(for: name)) {
            keys.withLock { $0[name] }.map { [(key: $0, comment: comment)] } ?? []
        }
    }

    /// Stops serving `name` and removes its socket directory; its key leaves memory.
    public func stop(_ name: String) async {
        keys.withLock { $0[name] = nil }
        if let server = servers.removeValue(forKey: name) { await server.close() }
        try? FileManager.default.removeItem(atPath: agentDirectory(for: name))
    }

    /// Stops every socket (the child's shutdown).
    public func stopAll() async {
        for name in servers.keys { await stop(name) }
    }

    /// Makes the served set match `records`: starts missing sockets, stops those of removed
    /// deployments.
    ///
    /// - Returns: names whose socket failed to start, with the error.
    public func reconcile(with records: [DeployKeyRecord]) async -> [(String, any Error)] {
        var failures: [(String, any Error)] = []
        let wanted = Set(records.map(\.deployment))
        for name in servers.keys where !wanted.contains(name) { await stop(name) }
        for record in records {
            // Served with this key already: nothing to do (the worker calls this every few
            // seconds; making the key from its seed each time was most of its idle cost).
            if servers[record.deployment] != nil, keys.withLock({ $0[record.deployment]?.seed }) == record.privateSeed {
                self.failures[record.deployment] = nil
                continue
            }
            do {
                try await serve(record.deployment, key: try DeployKey(seed: record.privateSeed))
                self.failures[record.deployment] = nil
            } catch {
                failures.append((record.deployment, error))
                self.failures[record.deployment] = String(describing: error)
            }
        }
        return failures
    }
}
