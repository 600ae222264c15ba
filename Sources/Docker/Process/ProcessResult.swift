import Foundation
import Subprocess
import Synchronization

#if canImport(System)
    import System
#else
    import SystemPackage
#endif

/// The outcome of one subprocess run.
public struct ProcessResult: Sendable {
    /// The command line, for messages.
    public var command: [String]
    /// Exit status; `nil` if it was ended by a signal.
    public var exitCode: Int32?
    /// Signal number that ended it, if any.
    public var signal: Int32?
    /// The last lines of standard output and standard error, interleaved, at most
    /// ``ProcessRunner/outputTailBytes`` bytes.
    public var output: String

    /// `true` for exit status 0.
    public var succeeded: Bool { exitCode == 0 }
}
