import CSQLCipher

/// One result row: values by column index (0-based).
public struct Row: Sendable {
    /// Column values in `SELECT` order.
    public let values: [SQLValue]

    /// Column `i` as text (numbers are formatted, blobs decoded as UTF-8); `nil` for NULL.
    public func string(_ i: Int) -> String? {
        switch values[i] {
        case .text(let s): return s
        case .integer(let n): return String(n)
        case .real(let d): return String(d)
        case .blob(let b): return String(decoding: b, as: UTF8.self)
        case .null: return nil
        }
    }

    /// Column `i` as an integer; `nil` for NULL or non-numeric text.
    public func int(_ i: Int) -> Int? { int64(i).map(Int.init) }

    /// Column `i` as a 64-bit integer; `nil` for NULL or non-numeric text.
    public func int64(_ i: Int) -> Int64? {
        switch values[i] {
        case .integer(let n): return n
        case .real(let d): return Int64(d)
        case .text(let s): return Int64(s)
        default: return nil
        }
    }

    /// Column `i` as a floating-point number; `nil` for NULL or non-numeric text.
    public func double(_ i: Int) -> Double? {
        switch values[i] {
        case .real(let d): return d
        case .integer(let n): return Double(n)
        case .text(let s): return Double(s)
        default: return nil
        }
    }

    /// Column `i` as a flag: non-zero integer is `true`, NULL is `false`.
    /// Column `i` as bytes (text as its UTF-8); `nil` for NULL.
    public func bytes(_ i: Int) -> [UInt8]? {
        switch values[i] {
        case .blob(let b): return b
        case .text(let s): return Array(s.utf8)
        case .null, .integer, .real: return nil
        }
    }

    public func bool(_ i: Int) -> Bool { (int64(i) ?? 0) != 0 }
}
