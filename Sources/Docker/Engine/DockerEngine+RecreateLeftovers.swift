import Foundation

extension DockerEngine {
    /// Whether `name` (without the leading `/`) is the temporary name Compose gives a container
    /// while it recreates a service: the replaced container's id, 12 lower-case hex digits,
    /// `_`, then the service container's name (Compose v2 creates the new container under it
    /// and renames it once the old one is removed; v1 renames the old one to it before
    /// creating the new). A `compose up` killed in between (a power cut, a SIGKILLed daemon)
    /// leaves it behind, still publishing the service's ports, and the next recreate of the
    /// same container fails: `Conflict. The container name "/7a8bb8dc25a4_…-web-1" is already
    /// in use`.
    public static func isRecreateLeftover(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard bytes.count > 13, bytes[12] == UInt8(ascii: "_") else { return false }
        return bytes[0..<12].allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
    }

    /// Removes (forced, with anonymous volumes) the containers of Compose project `project`
    /// that carry a temporary recreate name (``isRecreateLeftover(_:)``). Call it only while
    /// no `compose up` of the project runs (under the deployment's lock): during a recreate
    /// such a container is the one being created.
    ///
    /// - Returns: the names removed.
    /// - Throws: ``DockerError``.
    @discardableResult
    public func removeRecreateLeftovers(project: String) async throws -> [String] {
        let leftovers = try await containers(project: project).filter { Self.isRecreateLeftover($0.name) }
        for container in leftovers { try await remove(container: container.id) }
        return leftovers.map(\.name)
    }
}
