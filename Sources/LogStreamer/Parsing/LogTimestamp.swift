import Foundation

/// A Docker log timestamp in the one form Stevedore writes: RFC 3339 in UTC with exactly nine
/// fractional digits (`2026-12-01T17:07:48.123456789Z`, 30 bytes), so that comparing two as
/// bytes compares them as times. Docker's `timestamps=1` uses `RFC3339NanoFixed`, which is
/// this form when the engine runs in UTC; other offsets and shorter fractions are normalized.
public struct LogTimestamp: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The 30 ASCII bytes.
    public let text: String

    /// Seconds since the Unix epoch and nanoseconds within the second.
    public let seconds: Int64
    /// 0…999,999,999.
    public let nanoseconds: Int32

    /// The value of the Engine API's `since=` for this instant: `seconds.nanoseconds`, nine
    /// digits (messages at exactly this instant are included).
    public var sinceParameter: String { "\(seconds).\(String(format: "%09d", nanoseconds))" }

    /// ``text``.
    public var description: String { text }

    /// Earlier in time (seconds, then nanoseconds).
    public static func < (a: LogTimestamp, b: LogTimestamp) -> Bool {
        (a.seconds, a.nanoseconds) < (b.seconds, b.nanoseconds)
    }

    /// The range of ``seconds``: years 0000 to 9999, the years of four digits (0000-01-01 and
    /// 9999-12-31T23:59:59 UTC), so that ``text`` is always 30 bytes.
    public static let secondsRange: ClosedRange<Int64> = -62_167_219_200...253_402_300_799

    /// From Unix time; an instant outside ``secondsRange`` is clamped to its nearest end.
    public init(seconds: Int64, nanoseconds: Int32) {
        let seconds = min(max(seconds, Self.secondsRange.lowerBound), Self.secondsRange.upperBound)
        self.seconds = seconds
        self.nanoseconds = max(0, min(nanoseconds, 999_999_999))
        var t = time_t(seconds)
        var parts = tm()
        gmtime_r(&t, &parts)
        text = String(
            format: "%04d-%02d-%02dT%02d:%02d:%02d.%09dZ", Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1, Int(parts.tm_mday),
            Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec), Int(self.nanoseconds))
    }

    /// Now, from the realtime clock (for output that arrives without a valid timestamp).
    public static func now() -> LogTimestamp {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return LogTimestamp(seconds: Int64(spec.tv_sec), nanoseconds: Int32(spec.tv_nsec))
    }

    /// Parses `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`; `nil` for anything else (never traps:
    /// the bytes come from the engine, and before it from a container).
    public init?(parsing bytes: some Collection<UInt8>) {
        let b = Array(bytes.prefix(64))
        guard b.count >= 20, b.count <= 40 else { return nil }
        func digits(_ range: Range<Int>) -> Int? {
            var value = 0
            for i in range {
                guard i < b.count, b[i] >= 0x30, b[i] <= 0x39 else { return nil }
                value = value * 10 + Int(b[i] - 0x30)
            }
            return value
        }
        guard let year = digits(0..<4), b[4] == 0x2D, let month = digits(5..<7), b[7] == 0x2D, let day = digits(8..<10),
            b[10] == 0x54 || b[10] == 0x74, let hour = digits(11..<13), b[13] == 0x3A, let minute = digits(14..<16),
            b[16] == 0x3A, let second = digits(17..<19),
            (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61
        else { return nil }
        var i = 19
        var nanos = 0
        if i < b.count, b[i] == 0x2E {
            i += 1
            var count = 0
            while i < b.count, b[i] >= 0x30, b[i] <= 0x39 {
                if count < 9 { nanos = nanos * 10 + Int(b[i] - 0x30) }
                count += 1
                i += 1
            }
            guard count > 0 else { return nil }
            for _ in count..<max(count, 9) { nanos *= 10 }
        }
        guard i < b.count else { return nil }
        var offset = 0
        if b[i] == 0x5A || b[i] == 0x7A {
            i += 1
        } else if b[i] == 0x2B || b[i] == 0x2D, let oh = digits((i + 1)..<(i + 3)), i + 3 < b.count, b[i + 3] == 0x3A,
            let om = digits((i + 4)..<(i + 6)), oh < 24, om < 60
        {
            offset = (oh * 3600 + om * 60) * (b[i] == 0x2B ? 1 : -1)
            i += 6
        } else {
            return nil
        }
        guard i == b.count else { return nil }
        // Days from civil (Howard Hinnant's algorithm), all in Int64: no overflow for 4 digits.
        let y = Int64(month <= 2 ? year - 1 : year)
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = Int64((month + 9) % 12)
        let doy = (153 * mp + 2) / 5 + Int64(day) - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        let days = era * 146_097 + doe - 719_468
        let seconds = days * 86_400 + Int64(hour * 3600 + minute * 60 + min(second, 59)) - Int64(offset)
        self.init(seconds: seconds, nanoseconds: Int32(nanos))
    }

    /// Parses `10m`, `2h`, `30s`, `1d` (before now) or an RFC 3339 time: the `--since` of `stevedore logs`.
    ///
    /// - Returns: `nil` when `text` is neither.
    public static func since(_ text: String, now: LogTimestamp = .now()) -> LogTimestamp? {
        if let parsed = LogTimestamp(parsing: Array(text.utf8)) { return parsed }
        guard let unit = text.last, let amount = Int64(text.dropLast()), amount >= 0, amount < 100_000_000 else { return nil }
        let factor: Int64
        switch unit {
        case "s": factor = 1
        case "m": factor = 60
        case "h": factor = 3600
        case "d": factor = 86_400
        default: return nil
        }
        return LogTimestamp(seconds: now.seconds - amount * factor, nanoseconds: now.nanoseconds)
    }
}

extension LogTimestamp {
    /// The canonical 30 bytes of a timestamp as Docker sends it: the bytes themselves when
    /// they already are in Stevedore's form (the usual case: no parsing, no allocation
    /// beyond the copy), else the parsed and normalized form; `nil` when not a timestamp.
    public static func canonicalBytes(_ bytes: ArraySlice<UInt8>) -> [UInt8]? {
        if bytes.count == 30 {
            let s = bytes.startIndex
            if bytes[s + 29] == 0x5A, bytes[s + 19] == 0x2E, bytes[s + 4] == 0x2D, bytes[s + 10] == 0x54,
                bytes[s..<(s + 4)].allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
                bytes[(s + 20)..<(s + 29)].allSatisfy({ $0 >= 0x30 && $0 <= 0x39 })
            {
                return Array(bytes)
            }
        }
        return LogTimestamp(parsing: bytes).map { Array($0.text.utf8) }
    }
}
