import Foundation

/// How one run of ``GitScript`` ended.
public struct GitRunResult: Sendable {
    /// Exit status of the script (`nil`: ended by a signal).
    public var exitCode: Int?
    /// Standard output followed by standard error (local mode: interleaved), at most 256 KiB each.
    public var output: String

    /// A result with the given status and output.
    public init(exitCode: Int?, output: String) {
        self.exitCode = exitCode
        self.output = output
    }
}
