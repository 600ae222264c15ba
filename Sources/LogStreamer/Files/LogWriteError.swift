import Foundation

/// A log file could not be written: the disk is full, read-only or failing.
public struct LogWriteError: Error, Sendable, CustomStringConvertible {
    /// The file.
    public var path: String
    /// What was being done: `write`, `open`, `rename`, `delete`.
    public var operation: String
    /// `errno` (e.g. 28 ENOSPC, 30 EROFS).
    public var code: Int32

    /// An error for `operation` on `path` with `errno` `code`.
    public init(path: String, operation: String, code: Int32) {
        self.path = path
        self.operation = operation
        self.code = code
    }

    /// `cannot <operation> <path>: <strerror(code)>`.
    public var description: String {
        "cannot \(operation) \(path): \(String(cString: strerror(code)))"
    }
}
