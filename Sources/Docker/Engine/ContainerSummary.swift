/// `GET /containers/json` item (Docker Engine API v1.41), the fields Stevedore reads.
public struct ContainerSummary: Decodable, Sendable, Equatable {
    /// Full container id.
    public var id: String
    /// Names, each with a leading `/`.
    public var names: [String]
    /// Image reference the container was created from.
    public var image: String
    /// `created`, `running`, `paused`, `restarting`, `removing`, `exited` or `dead`.
    public var state: String
    /// Human status, e.g. `Up 3 minutes (healthy)`.
    public var status: String
    /// Labels (Compose's `com.docker.compose.*` among them).
    public var labels: [String: String]

    enum CodingKeys: String, CodingKey {
        case id = "Id"
        case names = "Names"
        case image = "Image"
        case state = "State"
        case status = "Status"
        case labels = "Labels"
    }

    /// A summary with the given fields (tests and fakes of pure logic).
    public init(id: String, names: [String], image: String, state: String, status: String, labels: [String: String]) {
        self.id = id
        self.names = names
        self.image = image
        self.state = state
        self.status = status
        self.labels = labels
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decode(String.self, forKey: .id)
        names = try c.decodeIfPresent([String].self, forKey: .names) ?? []
        image = try c.decodeIfPresent(String.self, forKey: .image) ?? ""
        state = try c.decodeIfPresent(String.self, forKey: .state) ?? ""
        status = try c.decodeIfPresent(String.self, forKey: .status) ?? ""
        labels = try c.decodeIfPresent([String: String].self, forKey: .labels) ?? [:]
    }

    /// The Compose service (label `com.docker.compose.service`).
    public var service: String? { labels["com.docker.compose.service"] }
    /// The container name without the leading `/`.
    public var name: String { names.first.map { $0.hasPrefix("/") ? String($0.dropFirst()) : $0 } ?? String(id.prefix(12)) }
}
