/// An SSH remote as git reads it (git-clone(1) "GIT URLS"; git's `connect.c`,
/// `parse_connect_url` and `get_host_and_port`): `ssh://[user@]host[:port]/path` (also
/// `git+ssh://`, `ssh+git://`; percent-escapes decoded, `[…]` around an IPv6 address) or the
/// scp-like `[user@]host:path` (no slash before the first colon; `[user@host:port]:path` for
/// a port). The path is what git hands to `git-upload-pack`: absolute for `ssh://` URLs,
/// relative to the login directory for scp-like ones, and `~user/…` when it starts with `/~`
/// (git strips the slash so the server expands it).
public struct GitSSHURL: Sendable, Equatable {
    /// The login name (`git` in `git@github.com:o/r.git`); `nil` when the URL names none
    /// (OpenSSH then logs in as the local user).
    public var user: String?
    /// The host name or address, without brackets (`github.com`, `127.0.0.1`, `::1`).
    public var host: String
    /// The TCP port: 22 unless the URL names one (1–65535).
    public var port: Int
    /// The repository path sent to the server (`/srv/r.git`, `o/r.git`, `~alice/r.git`).
    public var path: String

    /// The default SSH port.
    public static let defaultPort = 22

    /// Reads `url`.
    ///
    /// - Throws: ``GitError/commandFailed(_:)`` naming `url` when it is not an SSH URL (a
    ///   local path, `https://`, another scheme), has no host or no path, a port that is not a
    ///   number from 1 to 65535, an empty user, a host or path that starts with `-` (git refuses
    ///   those: "strange hostname/pathname blocked"; a host after `user@` too), a NUL, or bytes
    ///   that are not UTF-8 once percent-decoded.
    public init(parsing url: String) throws {
        func refuse(_ why: String) -> GitError {
            GitError.commandFailed("'\(url)' is not an SSH remote git accepts: \(why)")
        }
        var rest: [UInt8]
        let separator: UInt8
        let bytes = Array(url.utf8)
        if let scheme = Self.firstIndex(of: Array("://".utf8), in: bytes[...]) {
            let name = String(decoding: bytes[..<scheme], as: UTF8.self)
            guard ["ssh", "git+ssh", "ssh+git"].contains(name) else { throw refuse("the scheme '\(name)' is not SSH") }
            rest = Self.percentDecoded(bytes[(scheme + 3)...])
            separator = UInt8(ascii: "/")
        } else {
            // git's url_is_local_not_ssh: a path unless a colon comes before any slash.
            guard let colon = bytes.firstIndex(of: UInt8(ascii: ":")), !bytes[..<colon].contains(UInt8(ascii: "/")) else {
                throw refuse("it is a local path")
            }
            rest = bytes
            separator = UInt8(ascii: ":")
        }
        guard !rest.contains(0) else { throw refuse("it contains a NUL byte") }

        // host_end without removing brackets: the path separator is searched from the `]`.
        var end = rest.startIndex
        let open = Self.firstIndex(of: Array("@[".utf8), in: rest[...]).map { $0 + 1 } ?? rest.startIndex
        if open < rest.endIndex, rest[open] == UInt8(ascii: "["),
            let close = rest[(open + 1)...].firstIndex(of: UInt8(ascii: "]"))
        {
            end = close
        }
        guard let pathStart = rest[end...].firstIndex(of: separator) else { throw refuse("no path") }
        var path = rest[pathStart...]
        if separator == UInt8(ascii: ":") { path = path.dropFirst() }
        if path.count >= 2, path[path.startIndex + 1] == UInt8(ascii: "~") { path = path.dropFirst() }
        guard !path.isEmpty else { throw refuse("no path") }

        // get_host_and_port: brackets removed, then a port after the first colon.
        var hostPart = Array(rest[..<pathStart])
        var port: Int?
        var portText: [UInt8]?
        let hostOpen = Self.firstIndex(of: Array("@[".utf8), in: hostPart[...]).map { $0 + 1 } ?? 0
        if hostOpen < hostPart.count, hostPart[hostOpen] == UInt8(ascii: "["),
            let close = hostPart[(hostOpen + 1)...].firstIndex(of: UInt8(ascii: "]"))
        {
            let tail = hostPart[(close + 1)...]
            if let colon = tail.firstIndex(of: UInt8(ascii: ":")) {
                port = Self.port(tail[(colon + 1)...])
            }
            hostPart = Array(hostPart[..<hostOpen] + hostPart[(hostOpen + 1)..<close])
        } else if let colon = hostPart.firstIndex(of: UInt8(ascii: ":")) {
            let digits = hostPart[(colon + 1)...]
            if let value = Self.port(digits) {
                port = value
                hostPart = Array(hostPart[..<colon])
            } else if digits.isEmpty {
                hostPart = Array(hostPart[..<colon])
            } else {
                portText = Array(digits)
            }
        }
        if port == nil, let colon = hostPart.firstIndex(of: UInt8(ascii: ":")) {
            // get_port: `[user@host:port]:path` leaves the port inside the brackets.
            if let value = Self.port(hostPart[(colon + 1)...]) {
                port = value
                hostPart = Array(hostPart[..<colon])
                portText = nil
            } else if portText == nil {
                portText = Array(hostPart[(colon + 1)...])
            }
        }
        if let portText, port == nil, !Self.isIPv6(hostPart) {
            throw refuse("the port '\(String(decoding: portText, as: UTF8.self))' is not a number from 1 to 65535")
        }
        guard hostPart.first != UInt8(ascii: "-") else {
            throw refuse("strange hostname '\(String(decoding: hostPart, as: UTF8.self))' blocked")
        }
        var user: [UInt8]?
        if let at = hostPart.lastIndex(of: UInt8(ascii: "@")) {
            user = Array(hostPart[..<at])
            hostPart = Array(hostPart[(at + 1)...])
            guard user?.isEmpty == false else { throw refuse("an empty user name before '@'") }
        }
        guard !hostPart.isEmpty else { throw refuse("no host") }
        guard hostPart.first != UInt8(ascii: "-") else {
            throw refuse("the host '\(String(decoding: hostPart, as: UTF8.self))' starts with '-'")
        }
        guard path.first != UInt8(ascii: "-") else {
            throw refuse("strange pathname '\(String(decoding: path, as: UTF8.self))' blocked")
        }
        guard let hostText = String(validating: hostPart, as: UTF8.self), let pathText = String(validating: path, as: UTF8.self),
            user.map({ String(validating: $0, as: UTF8.self) != nil }) ?? true
        else { throw refuse("it is not UTF-8 once percent-decoded") }
        self.user = user.map { String(decoding: $0, as: UTF8.self) }
        host = hostText
        self.port = port ?? Self.defaultPort
        self.path = pathText
    }

    /// The command git runs on the server for a fetch or `ls-remote`:
    /// `git-upload-pack '<path>'`, quoted as git's `sq_quote_buf` does.
    public var uploadPackCommand: String { "git-upload-pack " + Self.shellQuoted(path) }

    /// The name of the host in `known_hosts` as OpenSSH writes and looks it up (sshd(8)
    /// "SSH_KNOWN_HOSTS FILE FORMAT"): the host in lower case, `[host]:port` when the port is
    /// not 22.
    public var knownHostsName: String { SSHKnownHosts.name(host: host, port: port) }

    /// `text` in single quotes as git's `sq_quote_buf` writes it: `'` becomes `'\''` and `!`
    /// becomes `'\!'` (for csh), everything else stays as is.
    public static func shellQuoted(_ text: String) -> String {
        // Unicode scalars, not Characters: a combining mark after `'` must not hide it.
        var out = "'"
        for scalar in text.unicodeScalars {
            switch scalar {
            case "'": out += #"'\''"#
            case "!": out += #"'\!'"#
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "'"
    }

    /// git's `url_decode`: `%XX` becomes its byte, except `%00`; anything else stays.
    static func percentDecoded(_ bytes: ArraySlice<UInt8>) -> [UInt8] {
        func hex(_ byte: UInt8) -> UInt8? {
            switch byte {
            case 0x30...0x39: return byte - 0x30
            case 0x41...0x46: return byte - 0x41 + 10
            case 0x61...0x66: return byte - 0x61 + 10
            default: return nil
            }
        }
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var index = bytes.startIndex
        while index < bytes.endIndex {
            if bytes[index] == UInt8(ascii: "%"), bytes.endIndex - index >= 3, let high = hex(bytes[index + 1]),
                let low = hex(bytes[index + 2]), high | low != 0
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

    /// A port: 1 to 5 ASCII digits, 1–65535.
    static func port(_ digits: ArraySlice<UInt8>) -> Int? {
        guard (1...5).contains(digits.count), digits.allSatisfy({ (0x30...0x39).contains($0) }) else { return nil }
        let value = digits.reduce(0) { $0 * 10 + Int($1 - 0x30) }
        return (1...65535).contains(value) ? value : nil
    }

    /// Whether `host` (user part allowed) looks like a bare IPv6 address: two colons or more
    /// (`::1`, `git@fe80::1`), where a colon does not start a port.
    static func isIPv6(_ host: [UInt8]) -> Bool { host.filter { $0 == UInt8(ascii: ":") }.count >= 2 }

    static func firstIndex(of needle: [UInt8], in haystack: ArraySlice<UInt8>) -> Int? {
        guard haystack.count >= needle.count, let first = needle.first else { return nil }
        var index = haystack.startIndex
        while index <= haystack.endIndex - needle.count {
            if haystack[index] == first, haystack[index..<(index + needle.count)].elementsEqual(needle) { return index }
            index += 1
        }
        return nil
    }
}
