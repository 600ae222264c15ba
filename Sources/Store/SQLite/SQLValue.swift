import CSQLCipher

/// A value bound to or read from a statement.
public enum SQLValue: Sendable, Equatable {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)
    case blob([UInt8])
}

extension SQLValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral {
    /// `.text(value)`.
    public init(stringLiteral value: String) { self = .text(value) }
    /// `.integer(value)`.
    public init(integerLiteral value: Int64) { self = .integer(value) }

    /// `.text(value)`, or `.null` for `nil`.
    public static func optional(_ value: String?) -> SQLValue { value.map(SQLValue.text) ?? .null }
    /// `.integer(value)`, or `.null` for `nil`.
    public static func optional(_ value: Int64?) -> SQLValue { value.map(SQLValue.integer) ?? .null }
}
