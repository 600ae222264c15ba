import Docker

/// GitHub deploy-key hints for `repo add` and `repo key` (GitHub REST API "Create a deploy
/// key": `POST /repos/{owner}/{repo}/keys` with `title`, `key`, `read_only`).
public enum GitHubHints {
    /// `owner/repo` of a GitHub URL: `git@github.com:o/r(.git)`, `ssh://git@github.com/o/r`,
    /// `https://github.com/o/r(.git)`; `nil` for anything else.
    public static func repository(_ url: String) -> String? {
        var path: Substring
        // Host names are case-insensitive (RFC 4343); the path keeps its case.
        if url.lowercased().hasPrefix("git@github.com:") {
            path = url.dropFirst("git@github.com:".count)
        } else if let range = url.range(of: "://") {
            var rest = url[range.upperBound...]
            if let at = rest.firstIndex(of: "@"), let slash = rest.firstIndex(of: "/"), at < slash { rest = rest[rest.index(after: at)...] }
            for host in ["github.com/", "www.github.com/", "github.com:22/", "ssh.github.com:443/"] where rest.lowercased().hasPrefix(host)
            {
                path = rest.dropFirst(host.count)
                return clean(path)
            }
            return nil
        } else {
            return nil
        }
        return clean(path)
    }

    /// Whether `url` reaches GitHub over HTTPS (where a deploy key is not used).
    static func isHTTPS(_ url: String) -> Bool { url.lowercased().hasPrefix("https://") || url.lowercased().hasPrefix("http://") }

    private static func clean(_ path: Substring) -> String? {
        var path = path
        while path.hasPrefix("/") { path = path.dropFirst() }
        while path.hasSuffix("/") { path = path.dropLast() }
        if path.hasSuffix(".git") { path = path.dropLast(4) }
        let parts = path.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy { $0.isLetter || $0.isNumber || "-_.".contains($0) } })
        else {
            return nil
        }
        return parts.joined(separator: "/")
    }

    /// The hint for `publicKey` of deployment `name`, or `nil` when `url` is not GitHub's.
    public static func hint(url: String, name: String, publicKey: String) -> GitHubDeployKeyHint? {
        guard let repository = repository(url) else { return nil }
        let title = "stevedore:\(name)"
        let command =
            "gh api -X POST repos/\(repository)/keys -f title=\(GitAccess.shellQuoted(title)) -f key=\(GitAccess.shellQuoted(publicKey)) -F read_only=true"
        return GitHubDeployKeyHint(
            repository: repository, settingsURL: "https://github.com/\(repository)/settings/keys/new", ghCommand: command,
            sshURL: isHTTPS(url) ? "git@github.com:\(repository).git" : nil)
    }
}
