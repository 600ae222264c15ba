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

/// A compiled statement (`sqlite3_stmt`). Finalized when released.
public final class Statement {
    private let stmt: OpaquePointer
    private let connection: Connection
    let sql: String

    init(stmt: OpaquePointer, connection: Connection, sql: String) {
        self.stmt = stmt
        self.connection = connection
        self.sql = sql
    }

    deinit { sqlite3_finalize(stmt) }

    /// Binds values to parameters 1…n in order, after resetting the statement.
    ///
    /// - Throws: ``StoreError/sqlite(code:message:sql:)``.
    public func bind(_ values: [SQLValue]) throws {
        sqlite3_reset(stmt)
        sqlite3_clear_bindings(stmt)
        for (offset, value) in values.enumerated() {
            let index = Int32(offset + 1)
            let rc: Int32
            switch value {
            case .null: rc = sqlite3_bind_null(stmt, index)
            case .integer(let n): rc = sqlite3_bind_int64(stmt, index, n)
            case .real(let d): rc = sqlite3_bind_double(stmt, index, d)
            case .text(let s): rc = sqlite3_bind_text(stmt, index, s, -1, SQLITE_TRANSIENT)
            case .blob(let bytes):
                rc = bytes.withUnsafeBytes { raw in
                    sqlite3_bind_blob(stmt, index, raw.baseAddress, Int32(raw.count), SQLITE_TRANSIENT)
                }
            }
            guard rc == SQLITE_OK else { throw failure(rc) }
        }
    }

    /// Advances one row.
    ///
    /// - Returns: `true` when a row is available, `false` when the statement is done.
    /// - Throws: ``StoreError/sqlite(code:message:sql:)``.
    public func step() throws -> Bool {
        let rc = sqlite3_step(stmt)
        switch rc {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        default: throw failure(rc)
        }
    }

    /// The current row's values.
    public func row() -> Row {
        let count = sqlite3_column_count(stmt)
        var values: [SQLValue] = []
        values.reserveCapacity(Int(count))
        for i in 0..<count {
            switch sqlite3_column_type(stmt, i) {
            case SQLITE_INTEGER: values.append(.integer(sqlite3_column_int64(stmt, i)))
            case SQLITE_FLOAT: values.append(.real(sqlite3_column_double(stmt, i)))
            case SQLITE_TEXT: values.append(.text(String(cString: sqlite3_column_text(stmt, i))))
            case SQLITE_BLOB:
                let n = Int(sqlite3_column_bytes(stmt, i))
                if let p = sqlite3_column_blob(stmt, i) {
                    values.append(.blob(Array(UnsafeRawBufferPointer(start: p, count: n))))
                } else {
                    values.append(.blob([]))
                }
            default: values.append(.null)
            }
        }
        return Row(values: values)
    }

    private func failure(_ rc: Int32) -> StoreError {
        .sqlite(code: rc, message: connection.errorMessage(), sql: sql)
    }
}

/// `SQLITE_TRANSIENT`: SQLite copies bound text/blobs before the call returns.
private let SQLITE_TRANSIENT = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
