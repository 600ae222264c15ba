import Foundation
import NIOCore

extension DockerEngine {
    /// The images a Compose project built: those labelled `com.docker.compose.project=<project>`
    /// (Compose v2 labels what it builds, older builds of the same service included), and those
    /// tagged `<project>-<service>` (v2) or `<project>_<service>` (v1) for the given `services`.
    /// Image ids (`sha256:…`), each once, sorted.
    ///
    /// - Throws: ``DockerError``.
    public func builtImages(project: String, services: [String] = []) async throws -> [String] {
        struct Image: Decodable {
            enum CodingKeys: String, CodingKey { case id = "Id" }
            var id: String
        }
        var filters: [[String: [String]]] = [["label": ["com.docker.compose.project=\(project)"]]]
        let references = services.flatMap { ["\(project)-\($0)", "\(project)_\($0)"] }
        if !references.isEmpty { filters.append(["reference": references]) }
        var ids = Set<String>()
        for filter in filters {
            let query = String(decoding: try JSONEncoder().encode(filter), as: UTF8.self)
            let (_, body) = try await send(path: "/images/json?all=0&filters=\(Self.queryEscaped(query))")
            ids.formUnion(try JSONDecoder().decode([Image].self, from: body).map(\.id))
        }
        return ids.sorted()
    }

    /// `DELETE /images/{id}` with every tag of it (`force=1`: an image tagged more than once
    /// goes with all its tags; an image a container still uses is refused by the engine, 409).
    ///
    /// - Throws: ``DockerError`` (404 counts as success: already gone).
    public func removeImage(_ id: String) async throws {
        do {
            _ = try await send(path: "/images/\(Self.pathEscaped(id))?force=1&noprune=0", method: .DELETE)
        } catch DockerError.api(let status, _, _) where status == 404 {
        }
    }
}
