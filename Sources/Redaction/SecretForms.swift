/// The byte sequences a program commonly prints a secret as, each of which is redacted.
///
/// For a value `v`: `v` itself; each line of a multi-line `v`; its base64 (RFC 4648) as it
/// appears at any offset within a longer base64 text — three forms, for `v` starting 0, 1 or 2
/// bytes into a 3-byte group, keeping only the characters that depend on `v` alone (the way
/// GitHub Actions masks `base64(user:password)`); its percent-encoding (RFC 3986, upper- and
/// lower-case hex, `+` for spaces as in forms, `/` kept as by Python's `urllib.parse.quote`,
/// `!'()*` kept as by JavaScript's `encodeURIComponent`); URL-safe base64 (`-_`); its JSON
/// string escaping (RFC 8259) in every combination of `\/` (PHP), non-ASCII as `\uXXXX`
/// (Python's `json.dumps`, PHP; upper-case hex as Jackson), `<`, `>`, `&` as `\u003c`… (Go's
/// `encoding/json`).
///
/// Forms shorter than ``minimumLength`` are dropped, and so are forms holding a newline: a
/// stream is redacted line by line, and each line of a multi-line value is a form of its own.
/// Not covered: a secret the program transforms otherwise (hashed, sliced, re-encoded twice
/// or in another way).
public enum SecretForms {
    /// Values and forms shorter than this many bytes are not redacted: 8.
    public static let minimumLength = 8

    /// Every form of `value` (deduplicated, each at least ``minimumLength`` bytes, none with a
    /// newline); empty when `value` is shorter than ``minimumLength``.
    public static func forms(of value: [UInt8]) -> [[UInt8]] {
        guard value.count >= minimumLength else { return [] }
        var candidates: [[UInt8]] = []
        var wholes = [value]
        if value.contains(0x0A) {
            for line in value.split(separator: 0x0A, omittingEmptySubsequences: true) {
                var line = Array(line)
                if line.last == 0x0D { line.removeLast() }
                wholes.append(line)
            }
        }
        for whole in wholes where whole.count >= minimumLength {
            candidates.append(whole)
            for shift in 0..<3 {
                let encoded = base64(whole, shift: shift)
                candidates.append(encoded)
                candidates.append(
                    encoded.map { $0 == UInt8(ascii: "+") ? UInt8(ascii: "-") : $0 == UInt8(ascii: "/") ? UInt8(ascii: "_") : $0 })
            }
            candidates.append(percentEncoded(whole, upper: true, plusForSpace: false))
            candidates.append(percentEncoded(whole, upper: false, plusForSpace: false))
            candidates.append(percentEncoded(whole, upper: true, plusForSpace: true))
            candidates.append(percentEncoded(whole, upper: true, plusForSpace: false, keep: Array("/".utf8)))
            candidates.append(percentEncoded(whole, upper: true, plusForSpace: false, keep: Array("!'()*".utf8)))
            // Every combination the common encoders print: `\/` (PHP), non-ASCII as `\uXXXX`
            // (Python, PHP, Jackson with upper-case hex), `<>&` as `\u003c…` (Go).
            for slash in [false, true] {
                for asciiOnly in [false, true] {
                    for htmlSafe in [false, true] {
                        for upperHex in [false, true] {
                            candidates.append(
                                jsonEscaped(whole, slash: slash, asciiOnly: asciiOnly, htmlSafe: htmlSafe, upperHex: upperHex))
                        }
                    }
                }
            }
        }
        var seen = Set<[UInt8]>()
        return candidates.filter { $0.count >= minimumLength && !$0.contains(0x0A) && seen.insert($0).inserted }
    }

    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    /// The base64 characters of `bytes` placed `shift` bytes into a 3-byte group that depend
    /// on `bytes` alone: character i covers bits 6i..<6i+6 of the shifted input.
    static func base64(_ bytes: [UInt8], shift: Int) -> [UInt8] {
        let input = [UInt8](repeating: 0, count: shift) + bytes
        var bits: UInt32 = 0
        var count = 0
        var encoded: [UInt8] = []
        encoded.reserveCapacity(input.count * 4 / 3 + 4)
        for byte in input {
            bits = (bits << 8) | UInt32(byte)
            count += 8
            while count >= 6 {
                count -= 6
                encoded.append(alphabet[Int((bits >> UInt32(count)) & 0x3F)])
            }
            bits &= (1 << UInt32(count)) - 1
        }
        let first = (8 * shift + 5) / 6
        let end = 8 * (shift + bytes.count) / 6
        return first < end ? Array(encoded[first..<end]) : []
    }

    /// RFC 3986 percent-encoding: unreserved bytes (`A-Z a-z 0-9 - . _ ~`) and those in `keep`
    /// stay, others become `%XX`; with `plusForSpace`, a space becomes `+` (HTML forms).
    static func percentEncoded(_ bytes: [UInt8], upper: Bool, plusForSpace: Bool, keep: [UInt8] = []) -> [UInt8] {
        let hex = Array((upper ? "0123456789ABCDEF" : "0123456789abcdef").utf8)
        var out: [UInt8] = []
        for byte in bytes {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                out.append(byte)
            case UInt8(ascii: " ") where plusForSpace:
                out.append(UInt8(ascii: "+"))
            case _ where keep.contains(byte):
                out.append(byte)
            default:
                out += [UInt8(ascii: "%"), hex[Int(byte >> 4)], hex[Int(byte & 0xF)]]
            }
        }
        return out
    }

    /// The inside of a JSON string holding `bytes` (RFC 8259): `"` and `\` escaped, control
    /// characters as `\n`, `\r`, `\t`, `\b`, `\f` or `\u00XX`; with `slash`, `/` as `\/`;
    /// with `asciiOnly`, every non-ASCII character as `\uXXXX` (UTF-16, surrogate pairs above
    /// U+FFFF; empty when `bytes` is not UTF-8); with `htmlSafe`, `<`, `>`, `&` as `\u003c`,
    /// `\u003e`, `\u0026`; with `upperHex`, the hex digits of `\u` escapes in upper case.
    static func jsonEscaped(
        _ bytes: [UInt8], slash: Bool, asciiOnly: Bool = false, htmlSafe: Bool = false, upperHex: Bool = false
    ) -> [UInt8] {
        let hex = Array((upperHex ? "0123456789ABCDEF" : "0123456789abcdef").utf8)
        func unicodeEscape(_ unit: UInt16) -> [UInt8] {
            Array(#"\u"#.utf8) + [12, 8, 4, 0].map { hex[Int((unit >> UInt16($0)) & 0xF)] }
        }
        var out: [UInt8] = []
        if asciiOnly {
            guard let text = String(validating: bytes, as: UTF8.self) else { return [] }
            for scalar in text.unicodeScalars {
                if scalar.value < 0x80 {
                    out += jsonEscaped([UInt8(scalar.value)], slash: slash, htmlSafe: htmlSafe, upperHex: upperHex)
                } else {
                    for unit in String(scalar).utf16 { out += unicodeEscape(unit) }
                }
            }
            return out
        }
        for byte in bytes {
            switch byte {
            case UInt8(ascii: "\""): out += Array(#"\""#.utf8)
            case UInt8(ascii: "\\"): out += Array(#"\\"#.utf8)
            case UInt8(ascii: "/") where slash: out += Array(#"\/"#.utf8)
            case UInt8(ascii: "<") where htmlSafe, UInt8(ascii: ">") where htmlSafe, UInt8(ascii: "&") where htmlSafe:
                out += unicodeEscape(UInt16(byte))
            case 0x0A: out += Array(#"\n"#.utf8)
            case 0x0D: out += Array(#"\r"#.utf8)
            case 0x09: out += Array(#"\t"#.utf8)
            case 0x08: out += Array(#"\b"#.utf8)
            case 0x0C: out += Array(#"\f"#.utf8)
            case 0..<0x20: out += Array(#"\u00"#.utf8) + [hex[Int(byte >> 4)], hex[Int(byte & 0xF)]]
            default: out.append(byte)
            }
        }
        return out
    }
}
