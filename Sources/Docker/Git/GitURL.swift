import Foundation

/// Reading Git URLs (git-clone(1) "GIT URLS"): `ssh://[user@]host[:port]/path`,
/// `[user@]host:path` (scp-like), `https://host/path`, `file:///path` and plain paths.
public enum GitURL {
    /// The local repository path of a `file://` URL or an absolute path; `nil` for remote URLs.
    public static func localPath(_ url: String) -> String? {
        if url.hasPrefix("file://") {
            let path = String(url.dropFirst("file://".count))
            return path.hasPrefix("/") ? path : nil
        }
        return url.hasPrefix("/") ? url : nil
    }

    /// The host of a remote URL (`github.com` for `git@github.com:o/r.git`), `nil` for local ones.
    public static func host(_ url: String) -> String? {
        if localPath(url) != nil { return nil }
        if let scheme = url.range(of: "://") {
            var rest = url[scheme.upperBound...]
            if let slash = rest.firstIndex(of: "/") { rest = rest[..<slash] }
            if let at = rest.lastIndex(of: "@") { rest = rest[rest.index(after: at)...] }
            if rest.hasPrefix("["), let close = rest.firstIndex(of: "]") { return String(rest[rest.index(after: rest.startIndex)..<close]) }
            if let colon = rest.lastIndex(of: ":") { rest = rest[..<colon] }
            return rest.isEmpty ? nil : String(rest)
        }
        // scp-like: [user@]host:path, only when there is no slash before the first colon.
        guard let colon = url.firstIndex(of: ":"), !url[..<colon].contains("/") else { return nil }
        var host = url[..<colon]
        if let at = host.lastIndex(of: "@") { host = host[host.index(after: at)...] }
        return host.isEmpty ? nil : String(host)
    }

    /// Whether `url` uses SSH (`ssh://`, `git+ssh://` or scp-like), i.e. needs the deploy key.
    public static func usesSSH(_ url: String) -> Bool {
        if url.hasPrefix("ssh://") || url.hasPrefix("git+ssh://") || url.hasPrefix("ssh+git://") { return true }
        return !url.contains("://") && localPath(url) == nil && host(url) != nil
    }
}
