import Foundation
import Services

/// An error as `--json` commands print it on stderr: one line,
/// `{"error": "<message>", "exitCode": 1}` (plus `"httpStatus"` when the daemon answered
/// with an HTTP error). The exit code is the same as without `--json`: 1 for an error, 2 for
/// a usage error.
struct JSONError: Encodable {
    /// The message, as the plain-text form prints it after `error: `.
    var error: String
    /// The process exit code that follows.
    var exitCode: Int32
    /// The admin API's HTTP status, for an error the daemon answered.
    var httpStatus: Int?

    /// Whether `arguments` (the command line, program name first) ask for JSON: `--json`
    /// before any `--` terminator.
    static func requested(by arguments: [String]) -> Bool {
        arguments.dropFirst().prefix { $0 != "--" }.contains("--json")
    }

    /// The HTTP status of an admin API error, if `error` is one.
    static func httpStatus(of error: any Error) -> Int? {
        if case .api(let status, _) = error as? AdminClientError { return status }
        return nil
    }

    /// Writes the object and a newline to stderr.
    func write() {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = (try? encoder.encode(self)) ?? Data(#"{"error":"unprintable error"}"#.utf8)
        FileHandle.standardError.write(data + Data("\n".utf8))
    }
}
