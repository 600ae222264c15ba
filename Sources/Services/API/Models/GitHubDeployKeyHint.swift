import Store

/// Where a GitHub repository's deploy keys are managed, and the `gh` command that adds one.
public struct GitHubDeployKeyHint: Codable, Sendable, Equatable {
    /// `owner/repo`.
    public var repository: String
    /// `https://github.com/owner/repo/settings/keys/new`.
    public var settingsURL: String
    /// `gh api -X POST repos/owner/repo/keys -f title=… -f key=… -F read_only=true`
    /// (`-F`: a typed field, so `read_only` is the boolean `true`; `-f` would send the string
    /// "true" and GitHub would make the key writable).
    public var ghCommand: String
    /// For an `https://` URL: the SSH URL to use instead (a deploy key works over SSH only).
    public var sshURL: String?

    // Spelled so that the API coders' snake_case conversion round-trips (`settings_url` ↔
    // `settingsUrl`); `settingsURL` would encode fine but never decode.
    enum CodingKeys: String, CodingKey {
        case repository
        case settingsURL = "settingsUrl"
        case ghCommand
        case sshURL = "sshUrl"
    }
}
