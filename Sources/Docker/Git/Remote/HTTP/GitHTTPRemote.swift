import Foundation

/// An `http://` or `https://` Git remote as smart HTTP needs it (gitprotocol-http(5), "URL
/// Format"): the base URL that `/info/refs` and `/git-upload-pack` are appended to, without
/// credentials, and the `Authorization: Basic` value (RFC 7617) made of the credentials of
/// its user info (`https://user:token@host/o/r.git`, percent-decoded as git does).
public struct GitHTTPRemote: Sendable, Equatable {
    /// `http` or `https` (lower-case).
    public var scheme: String
    /// The host as written (`[::1]` keeps its brackets), lower-cased.
    public var host: String
    /// The port, `nil` for the scheme's default (80, 443).
    public var port: Int?
    /// `scheme://host[:port]/path` without user info and without trailing slashes: requests
    /// go to `<base>/info/refs?service=git-upload-pack` and `<base>/git-upload-pack`.
    public var base: String
    /// `Basic <base64(user:password)>` when the URL has user info (a user alone sends an empty
    /// password, as git does after its askpass answers nothing); `nil` otherwise. Never
    /// shown or logged.
    public var authorization: String?

    /// - Parameter url: an `http://` or `https://` URL, e.g. `https://git.example.org/o/r.git`.
    /// - Throws: ``GitError/commandFailed(_:)`` naming the URL (credentials removed) when it
    ///   is not a URL smart HTTP can use: another scheme, no host, a port that is not 1–65535,
    ///   a query or fragment, spaces or control characters.
    public init(url: String) throws {
        func refuse(_ why: String) -> GitError {
            GitError.commandFailed("'\(GitURL.redacted(url))' is not an http(s) Git URL that can be checked: \(why)")
        }
        guard let separator = url.range(of: "://") else { throw refuse("no scheme") }
        let scheme = url[..<separator.lowerBound].lowercased()
        guard scheme == "http" || scheme == "https" else { throw refuse("the scheme is not http or https") }
        guard url.utf8.allSatisfy({ $0 > 0x20 && $0 != 0x7F }) else { throw refuse("it contains spaces or control characters") }
        guard !url.contains("?"), !url.contains("#") else { throw refuse("it has a query or a fragment") }
        let rest = url[separator.upperBound...]
        let authority = rest.prefix { $0 != "/" }
        var path = rest[authority.endIndex...]
        while path.hasSuffix("/") { path = path.dropLast() }
        var hostPort = authority[...]
        var authorization: String?
        if let at = authority.lastIndex(of: "@") {
            let userInfo = authority[..<at]
            let user = userInfo.prefix { $0 != ":" }
            let password = user.endIndex < userInfo.endIndex ? userInfo[userInfo.index(after: user.endIndex)...] : ""
            let credential = Self.percentDecoded(user) + [UInt8(ascii: ":")] + Self.percentDecoded(password)
            authorization = "Basic " + Data(credential).base64EncodedString()
            hostPort = authority[authority.index(after: at)...]
        }
        var host = hostPort[...]
        var port: Int?
        let portStart: Substring.Index?
        if hostPort.hasPrefix("[") {
            guard let close = hostPort.firstIndex(of: "]") else { throw refuse("an IPv6 address without its closing ']'") }
            host = hostPort[...close]
            portStart = close < hostPort.index(before: hostPort.endIndex) ? hostPort.index(after: close) : nil
            if let portStart, hostPort[portStart] != ":" { throw refuse("characters after the IPv6 address") }
        } else {
            portStart = hostPort.firstIndex(of: ":")
            if let portStart { host = hostPort[..<portStart] }
        }
        if let portStart {
            let digits = hostPort[hostPort.index(after: portStart)...]
            if !digits.isEmpty {
                guard digits.count <= 5, digits.allSatisfy(\.isASCII), let value = Int(digits), (1...65535).contains(value) else {
                    throw refuse("the port '\(digits.prefix(12))' is not a number from 1 to 65535")
                }
                port = value
            }
        }
        guard !host.isEmpty, host != "[]" else { throw refuse("no host") }
        self.scheme = scheme
        self.host = host.lowercased()
        self.port = port
        self.authorization = authorization
        base = scheme + "://" + self.host + (port.map { ":\($0)" } ?? "") + path
    }

    /// `scheme://host[:port]` of ``base``: where a redirect may keep the credentials.
    public var origin: String { scheme + "://" + host + (port.map { ":\($0)" } ?? "") }

    /// The URL of the ref advertisement: `<base>/info/refs?service=git-upload-pack`.
    public var infoRefsURL: String { base + "/info/refs?service=git-upload-pack" }
    /// The URL of the v2 command requests: `<base>/git-upload-pack`.
    public var uploadPackURL: String { base + "/git-upload-pack" }

    /// The remote a redirect of the ref advertisement leads to, as git computes it
    /// (http.c `update_url_from_redirect`): the `Location` must end in
    /// `/info/refs?service=git-upload-pack`, and what comes before it is the new base. A
    /// relative location (`/path…`) keeps the origin. The credentials go along only while the
    /// origin (scheme, host and port) stays the same.
    ///
    /// - Throws: ``GitError/commandFailed(_:)`` for a location that does not end so, or is
    ///   not an http(s) URL.
    public func redirected(to location: String) throws -> GitHTTPRemote {
        let suffix = "/info/refs?service=git-upload-pack"
        guard location.hasSuffix(suffix) else {
            throw GitError.commandFailed(
                "the Git server at \(GitURL.redacted(base)) redirected to '\(GitURL.redacted(String(location.prefix(200))))', which is not a ref advertisement ('…\(suffix)')"
            )
        }
        let target = String(location.dropLast(suffix.count))
        let absolute = target.hasPrefix("/") ? origin + target : target
        var next = try GitHTTPRemote(url: absolute)
        if next.authorization == nil, next.origin == origin { next.authorization = authorization }
        return next
    }

    /// `text` with `%XX` escapes decoded (invalid escapes stay as they are, as in git's
    /// `url_decode`).
    static func percentDecoded(_ text: Substring) -> [UInt8] {
        let bytes = Array(text.utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var index = 0
        func hex(_ byte: UInt8) -> UInt8? {
            switch byte {
            case 0x30...0x39: return byte - 0x30
            case 0x41...0x46: return byte - 0x41 + 10
            case 0x61...0x66: return byte - 0x61 + 10
            default: return nil
            }
        }
        while index < bytes.count {
            if bytes[index] == UInt8(ascii: "%"), index + 2 < bytes.count, let high = hex(bytes[index + 1]), let low = hex(bytes[index + 2])
            {
                out.append(high << 4 | low)
                index += 3
            } else {
                out.append(bytes[index])
                index += 1
            }
        }
        return out
    }
}
