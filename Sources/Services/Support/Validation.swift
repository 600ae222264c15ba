import Docker

/// Input validation for names, branches, URLs and durations. Every error names the bad value
/// and what is allowed (``ServiceError``).
public enum Validation {
    /// Checks a deployment name against `^[a-z0-9][a-z0-9_-]{0,62}$`.
    ///
    /// - Throws: ``ServiceError/invalidName(_:)``.
    public static func deploymentName(_ name: String) throws {
        let bytes = Array(name.utf8)
        guard (1...63).contains(bytes.count) else { throw ServiceError.invalidName(name) }
        func isLowerAlnum(_ c: UInt8) -> Bool { (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) }
        guard isLowerAlnum(bytes[0]) else { throw ServiceError.invalidName(name) }
        for c in bytes.dropFirst() where !(isLowerAlnum(c) || c == UInt8(ascii: "-") || c == UInt8(ascii: "_")) {
            throw ServiceError.invalidName(name)
        }
    }

    /// Largest parameter value accepted, in bytes.
    public static let maximumParameterBytes = 64 * 1024

    /// Names a parameter may not have: they would change how Compose itself runs (the
    /// parameters are Compose's process environment), not just interpolate the file.
    public static let reservedParameterNames: Set<String> = ["PATH", "HOME", "SHELL", "IFS", "TMPDIR", "SSH_AUTH_SOCK"]
    /// Prefixes a parameter name may not have (Stevedore's own, the dynamic linker's, the
    /// Docker and Compose clients' settings).
    public static let reservedParameterPrefixes = ["STEVEDORE_", "LD_", "DOCKER_", "COMPOSE_", "BUILDKIT_", "BUILDX_"]

    /// Whether `name` is reserved (``reservedParameterNames``, ``reservedParameterPrefixes``).
    public static func isReservedParameterName(_ name: String) -> Bool {
        reservedParameterNames.contains(name) || reservedParameterPrefixes.contains { name.hasPrefix($0) }
    }

    /// Checks a parameter name against `^[A-Za-z_][A-Za-z0-9_]*$` (a shell/Compose variable
    /// name), at most 128 characters, and not reserved (``isReservedParameterName(_:)``:
    /// `STEVEDORE_*` are set by Stevedore and would silently win; `PATH`, `DOCKER_*`,
    /// `COMPOSE_*`, `LD_*`, … would change how Compose runs).
    ///
    /// - Throws: ``ServiceError/invalidParameterName(_:)``.
    public static func parameterName(_ name: String) throws {
        let bytes = Array(name.utf8)
        func isAlpha(_ c: UInt8) -> Bool { (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c == UInt8(ascii: "_") }
        guard (1...128).contains(bytes.count), isAlpha(bytes[0]),
            bytes.allSatisfy({ isAlpha($0) || ($0 >= 0x30 && $0 <= 0x39) }),
            !isReservedParameterName(name)
        else { throw ServiceError.invalidParameterName(name) }
    }

    /// Checks a parameter value: at most ``maximumParameterBytes`` bytes, no NUL (the process
    /// environment cannot carry it).
    ///
    /// - Throws: ``ServiceError/invalidParameterValue(key:reason:)``.
    public static func parameterValue(_ value: String, key: String) throws {
        if value.utf8.count > maximumParameterBytes {
            throw ServiceError.invalidParameterValue(
                key: key, reason: "\(value.utf8.count) bytes; at most \(maximumParameterBytes) are allowed")
        }
        if value.utf8.contains(0) {
            throw ServiceError.invalidParameterValue(key: key, reason: "it contains a NUL byte, which no environment can carry")
        }
    }

    /// Checks a branch name by the rules of git-check-ref-format(1) with `--branch`: no
    /// component starting with `.` or ending with `.lock`, no `..`, `@{`, `//`, control
    /// characters, space, `~ ^ : ? * [ \`; not `@`, not starting with `-` or `/`, not ending
    /// with `/` or `.`. Checked on the UTF-8 bytes, as git does (a `Character` check misses
    /// `@{` when a combining mark follows the brace).
    ///
    /// - Throws: ``ServiceError/invalidBranch(_:)``.
    public static func branch(_ branch: String) throws {
        // The rules live next to the code that reads refs (Docker's GitRefName), so that the
        // API and ref discovery accept the same names.
        guard GitRefName.isValidBranch(branch) else { throw ServiceError.invalidBranch(branch) }
    }

    /// Checks a repository URL: non-empty, no leading `-`, no whitespace or control characters,
    /// and a URL (`scheme://…`), scp-like `host:path`, or an absolute path — never a relative one.
    ///
    /// - Throws: ``ServiceError/invalidURL(_:)``.
    public static func repositoryURL(_ url: String) throws {
        guard !url.isEmpty, !url.hasPrefix("-"),
            !url.unicodeScalars.contains(where: { $0.value <= 0x20 || $0.value == 0x7f })
        else { throw ServiceError.invalidURL(url) }
        // A relative local path would be resolved against the daemon's working directory.
        let isURL = url.contains("://")
        let isSCPLike = url.firstIndex(of: ":").map { colon in !url[..<colon].contains("/") } ?? false
        guard isURL || isSCPLike || url.hasPrefix("/") else { throw ServiceError.invalidURL(url) }
        // git's `<transport>::<address>` forms (remote helpers such as `fd::`, `ext::`) run
        // programs or read descriptors instead of reaching a server.
        if let range = url.range(of: "::"), url[..<range.lowerBound].allSatisfy({ $0.isLetter || $0.isNumber || "+.-".contains($0) }),
            !url.hasPrefix("["), !url[..<range.lowerBound].isEmpty
        {
            throw ServiceError.invalidURL(url)
        }
        // A local repository is mounted into the git worker: an absolute path without ':'
        // (Docker's bind syntax separates with ':').
        if url.hasPrefix("file://") {
            let path = url.dropFirst("file://".count)
            guard path.hasPrefix("/"), !path.contains(":") else { throw ServiceError.invalidURL(url) }
        }
        if url.hasPrefix("/"), url.contains(":") { throw ServiceError.invalidURL(url) }
    }

    /// Parses a duration: a whole number with an optional unit `s`, `m` or `h` (`90`, `30s`,
    /// `5m`, `1h`), in `minimum...maximum` seconds.
    ///
    /// - Parameter name: what the value is, for the error message.
    /// - Returns: seconds.
    /// - Throws: ``ServiceError/invalidDuration(name:value:allowed:)``.
    public static func durationSeconds(_ text: String, name: String, minimum: Int = 1, maximum: Int = 86_400) throws -> Int {
        let allowed = "use a whole number of seconds, or a number with s, m or h (e.g. 30s, 5m), from \(minimum) s to \(maximum) s"
        var digits = Substring(text)
        var unit = 1
        if let last = text.last, !last.isNumber {
            switch last {
            case "s": unit = 1
            case "m": unit = 60
            case "h": unit = 3600
            default: throw ServiceError.invalidDuration(name: name, value: text, allowed: allowed)
            }
            digits = digits.dropLast()
        }
        guard !digits.isEmpty, digits.allSatisfy(\.isASCII), digits.allSatisfy(\.isNumber),
            let value = Int(digits), value <= Int.max / unit
        else {
            throw ServiceError.invalidDuration(name: name, value: text, allowed: allowed)
        }
        let seconds = value * unit
        guard (minimum...maximum).contains(seconds) else {
            throw ServiceError.invalidDuration(name: name, value: text, allowed: allowed)
        }
        return seconds
    }

    /// Parses an on/off setting: `1`, `true`, `yes`, `on` (any case) enable; `0`, `false`,
    /// `no`, `off`, empty or unset disable.
    ///
    /// - Throws: ``ServiceError/invalidFlag(name:value:)`` for anything else.
    public static func flag(_ text: String?, name: String) throws -> Bool {
        switch (text ?? "").lowercased() {
        case "1", "true", "yes", "on": return true
        case "", "0", "false", "no", "off": return false
        default: throw ServiceError.invalidFlag(name: name, value: text ?? "")
        }
    }
}
