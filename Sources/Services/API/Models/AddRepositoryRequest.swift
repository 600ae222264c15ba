import Store
import Supervision

/// `POST /api/repos`.
public struct AddRepositoryRequest: Codable, Sendable {
    /// Deployment name, `^[a-z0-9][a-z0-9_-]{0,62}$`.
    public var name: String
    /// Git remote URL.
    public var url: String
    /// Default `main`.
    public var branch: String?
    /// Like `30s`, `5m`; default the daemon's `STEVEDORE_POLL_INTERVAL`.
    public var pollInterval: String?
    /// `true`: updates keep untracked files (no `git clean -fd`). Default `false`.
    public var noClean: Bool?

    /// A request; `nil` fields take the daemon's defaults.
    public init(name: String, url: String, branch: String? = nil, pollInterval: String? = nil) {
        self.name = name
        self.url = url
        self.branch = branch
        self.pollInterval = pollInterval
    }

    enum CodingKeys: String, CodingKey { case name, url, branch, pollInterval, noClean }

    /// Accepts `poll_interval` as a duration string (`"5m"`) or a number of seconds (`300`).
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decode(String.self, forKey: .name)
        url = try c.decode(String.self, forKey: .url)
        branch = try c.decodeIfPresent(String.self, forKey: .branch)
        if let seconds = try? c.decodeIfPresent(Int.self, forKey: .pollInterval) {
            pollInterval = String(seconds)
        } else {
            pollInterval = try c.decodeIfPresent(String.self, forKey: .pollInterval)
        }
        noClean = try c.decodeIfPresent(Bool.self, forKey: .noClean)
    }
}
