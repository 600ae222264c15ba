/// Hexadecimal text ↔ bytes (database keys, webhook signatures, secrets).
public enum Hex {
    /// Lower-case hex of `bytes` (two characters per byte).
    public static func encode(_ bytes: some Sequence<UInt8>) -> String {
        let digits = Array("0123456789abcdef")
        var out = ""
        for b in bytes {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 0xf)])
        }
        return out
    }

    /// The bytes of `text` (upper or lower case), or `nil` if it has an odd length or a
    /// character that is not a hex digit. With `count`, exactly that many bytes are required.
    public static func decode(_ text: String, count: Int? = nil) -> [UInt8]? {
        let chars = Array(text.utf8)
        guard chars.count % 2 == 0, count.map({ chars.count == $0 * 2 }) ?? true else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(chars.count / 2)
        var i = 0
        while i < chars.count {
            guard let hi = value(chars[i]), let lo = value(chars[i + 1]) else { return nil }
            out.append(hi << 4 | lo)
            i += 2
        }
        return out
    }

    private static func value(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}
