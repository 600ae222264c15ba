import Crypto
import Foundation

/// The host keys of an OpenSSH `known_hosts` file and OpenSSH's verdict on a presented key
/// (sshd(8) "SSH_KNOWN_HOSTS FILE FORMAT"; ssh(1) `StrictHostKeyChecking=accept-new`).
///
/// A line is `[marker] hostpatterns keytype base64-key [comment]`: patterns are
/// comma-separated, may use `*` and `?`, `!` negates (a matching negated pattern excludes the
/// line), matching ignores case; `[host]:port` names a port other than 22; a hashed entry
/// `|1|salt|hash` is HMAC-SHA1(salt, name) in base64. Blank lines, `#` comments, lines of an
/// unknown key type or with bad base64 are ignored, as OpenSSH ignores them.
///
/// The verdict is OpenSSH 9.2's (checked against `ssh -o StrictHostKeyChecking=accept-new`):
/// the key is trusted when a line for the host has exactly this key; it has changed when lines
/// for the host exist but none has it, *whatever their key types* (OpenSSH refuses a new
/// ed25519 key when only an ECDSA key is known, too); for a port other than 22 a line for the
/// bare host with exactly this key also trusts it; otherwise the host is unknown and the key
/// is added. `@revoked` lines with this key refuse it; `@cert-authority` lines do not count
/// (no certificates here).
public struct SSHKnownHosts: Sendable, Equatable {
    /// One usable line.
    public struct Entry: Sendable, Equatable {
        /// `@revoked` / `@cert-authority` before the patterns, or none.
        public enum Marker: Sendable, Equatable { case none, revoked, certificateAuthority }

        /// The line's marker.
        public var marker: Marker
        /// The host patterns field as written (`github.com,140.82.121.4`, `[h]:2222`, `|1|…|…`).
        public var hosts: String
        /// The key type (`ssh-ed25519`, `ecdsa-sha2-nistp256`, `ssh-rsa`, …).
        public var keyType: String
        /// The key blob (the base64 field decoded; RFC 4253 §6.6 public key format).
        public var key: [UInt8]
    }

    /// What to do with a presented host key.
    public enum Verdict: Sendable, Equatable {
        /// A line for the host has exactly this key.
        case trusted
        /// A line for the host has another key of this key type: refuse (the key changed).
        case changed
        /// Lines for the host exist, all of other key types (e.g. only `ssh-rsa` known and the
        /// server now offers `ssh-ed25519` too). OpenSSH would prefer a type it knows and
        /// verify that key; the in-process client cannot choose, so `git ls-remote` asks.
        case otherTypesOnly
        /// A `@revoked` line for the host has this key: refuse.
        case revoked
        /// No line names the host: trust on first use (add the key).
        case unknown
    }

    /// The usable lines, in file order.
    public var entries: [Entry]

    /// Key types OpenSSH reads from `known_hosts` (plain keys and certificates).
    public static let keyTypes: Set<String> = [
        "ssh-ed25519", "ssh-rsa", "ssh-dss", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521",
        "sk-ecdsa-sha2-nistp256@openssh.com", "sk-ssh-ed25519@openssh.com", "ssh-xmss@openssh.com",
        "ssh-ed25519-cert-v01@openssh.com", "ssh-rsa-cert-v01@openssh.com", "ssh-dss-cert-v01@openssh.com",
        "ecdsa-sha2-nistp256-cert-v01@openssh.com", "ecdsa-sha2-nistp384-cert-v01@openssh.com",
        "ecdsa-sha2-nistp521-cert-v01@openssh.com", "sk-ecdsa-sha2-nistp256-cert-v01@openssh.com",
        "sk-ssh-ed25519-cert-v01@openssh.com", "ssh-xmss-cert-v01@openssh.com",
    ]

    /// Entries read from a file's bytes; what is not a usable line is skipped.
    public init(contents: some Collection<UInt8>) {
        entries = []
        for line in Array(contents).split(separator: 0x0A) {
            if let entry = Self.entry(line) { entries.append(entry) }
        }
    }

    /// The entries given.
    public init(entries: [Entry]) { self.entries = entries }

    /// The name of `host` at `port` in `known_hosts`: the host in lower case, as
    /// `[host]:port` when `port` is not 22 (sshd(8)).
    public static func name(host: String, port: Int) -> String {
        let lower = host.lowercased()
        return port == GitSSHURL.defaultPort ? lower : "[\(lower)]:\(port)"
    }

    /// The line OpenSSH appends for a new host with `HashKnownHosts=no`:
    /// `name keytype base64` and LF.
    public static func line(host: String, port: Int, keyType: String, key: [UInt8]) -> String {
        "\(name(host: host, port: port)) \(keyType) \(Data(key).base64EncodedString())\n"
    }

    /// OpenSSH's verdict on `key` (of `keyType`) presented by `host` at `port`.
    public func verdict(host: String, port: Int, keyType: String, key: [UInt8]) -> Verdict {
        let name = Self.name(host: host, port: port)
        var trusted = false
        var sameType = false
        var otherType = false
        for entry in entries where Self.matches(name, entry.hosts) {
            let same = entry.keyType == keyType && entry.key == key
            switch entry.marker {
            case .revoked: if same { return .revoked }
            case .certificateAuthority: break
            case .none:
                if same {
                    trusted = true
                } else if entry.keyType == keyType {
                    sameType = true
                } else {
                    otherType = true
                }
            }
        }
        if trusted { return .trusted }
        if sameType { return .changed }
        if port != GitSSHURL.defaultPort {
            let bare = Self.name(host: host, port: GitSSHURL.defaultPort)
            let known = entries.contains {
                $0.marker == .none && $0.keyType == keyType && $0.key == key && Self.matches(bare, $0.hosts)
            }
            if known { return .trusted }
        }
        return otherType ? .otherTypesOnly : .unknown
    }

    /// One line, or `nil` when OpenSSH would skip it.
    static func entry(_ line: ArraySlice<UInt8>) -> Entry? {
        var fields = line.split(whereSeparator: { $0 == 0x20 || $0 == 0x09 || $0 == 0x0D })[...]
        guard var first = fields.popFirst(), first.first != UInt8(ascii: "#") else { return nil }
        var marker = Entry.Marker.none
        if first.first == UInt8(ascii: "@") {
            switch String(decoding: first, as: UTF8.self) {
            case "@revoked": marker = .revoked
            case "@cert-authority": marker = .certificateAuthority
            default: return nil
            }
            guard let next = fields.popFirst() else { return nil }
            first = next
        }
        guard let typeField = fields.popFirst(), let keyField = fields.popFirst() else { return nil }
        let keyType = String(decoding: typeField, as: UTF8.self)
        guard keyTypes.contains(keyType), let data = Data(base64Encoded: Data(keyField)) else { return nil }
        let key = Array(data)
        // The blob starts with its own type name (RFC 4253 §6.6); OpenSSH refuses a mismatch.
        guard key.count >= 4 else { return nil }
        let length = key[0..<4].reduce(0) { $0 << 8 | Int($1) }
        guard length == typeField.count, key.count >= 4 + length, key[4..<(4 + length)].elementsEqual(typeField) else { return nil }
        return Entry(marker: marker, hosts: String(decoding: first, as: UTF8.self), keyType: keyType, key: key)
    }

    /// OpenSSH's `match_hostname`: whether `name` (lower case) matches the comma-separated
    /// `patterns`, or the hashed entry `|1|salt|hash`.
    static func matches(_ name: String, _ patterns: String) -> Bool {
        if patterns.hasPrefix("|1|") { return hashedMatches(name, patterns) }
        var positive = false
        for pattern in patterns.split(separator: ",", omittingEmptySubsequences: false) {
            if pattern.hasPrefix("!") {
                if wildcard(Array(name.utf8)[...], Array(pattern.dropFirst().lowercased().utf8)[...]) { return false }
            } else if !positive, wildcard(Array(name.utf8)[...], Array(pattern.lowercased().utf8)[...]) {
                positive = true
            }
        }
        return positive
    }

    /// `|1|base64(salt)|base64(HMAC-SHA1(salt, name))` (OpenSSH's `HashKnownHosts`).
    static func hashedMatches(_ name: String, _ field: String) -> Bool {
        let parts = field.dropFirst(3).split(separator: "|", omittingEmptySubsequences: false)
        guard parts.count == 2, let salt = Data(base64Encoded: String(parts[0])), let hash = Data(base64Encoded: String(parts[1])),
            salt.count == Insecure.SHA1.byteCount, hash.count == Insecure.SHA1.byteCount
        else { return false }
        let code = HMAC<Insecure.SHA1>.authenticationCode(for: Data(name.utf8), using: SymmetricKey(data: salt))
        return Data(code) == hash
    }

    /// `*` (any run, empty too) and `?` (one byte) on bytes, iteratively (no recursion
    /// depth for a hostile pattern, and at most quadratic work).
    static func wildcard(_ text: ArraySlice<UInt8>, _ pattern: ArraySlice<UInt8>) -> Bool {
        var t = text.startIndex
        var p = pattern.startIndex
        var star: Int?
        var resume = t
        while t < text.endIndex {
            if p < pattern.endIndex, pattern[p] == UInt8(ascii: "*") {
                star = p
                p += 1
                resume = t
            } else if p < pattern.endIndex, pattern[p] == UInt8(ascii: "?") || pattern[p] == text[t] {
                t += 1
                p += 1
            } else if let star {
                p = star + 1
                resume += 1
                t = resume
            } else {
                return false
            }
        }
        while p < pattern.endIndex, pattern[p] == UInt8(ascii: "*") { p += 1 }
        return p == pattern.endIndex
    }
}
