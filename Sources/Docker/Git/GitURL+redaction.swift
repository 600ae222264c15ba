extension GitURL {
    /// `url` without the credentials of its user info, for messages and logs:
    /// `https://user:token@host/o/r.git` → `https://host/o/r.git`. An http(s) URL loses its
    /// whole user info (a token is often the user name alone); another scheme's user info is
    /// dropped only when it has a password (`ssh://git@host/r` stays as it is). scp-like URLs
    /// and paths are returned unchanged.
    public static func redacted(_ url: String) -> String {
        guard let scheme = url.range(of: "://") else { return url }
        let name = url[..<scheme.lowerBound].lowercased()
        let rest = url[scheme.upperBound...]
        let authority = rest.prefix { $0 != "/" }
        guard let at = authority.lastIndex(of: "@") else { return url }
        let userInfo = authority[..<at]
        guard name == "http" || name == "https" || userInfo.contains(":") else { return url }
        return String(url[..<scheme.upperBound]) + String(rest[rest.index(after: at)...])
    }
}
