import Subprocess

/// The daemon's end of a process-isolated child's control pipe: the child's standard input.
///
/// A pipe inherited at `fork`/`exec` is the one channel into a child that other users of the
/// host cannot read: `/proc/PID/environ` and `/proc/PID/cmdline` are readable by them, a file
/// would stay on disk. ``ChildSpec/process(_:command:environment:restart:shutdown:readyTimeout:liveness:runtimeDirectory:control:logger:)``
/// hands one to its `control` closure per incarnation; what the bytes mean is the child's
/// protocol. The child sees end-of-file when the daemon ends, so it never outlives it.
public struct ProcessControl: Sendable {
    private let write: @Sendable ([UInt8]) async throws -> Void

    /// A control channel that writes with `write` (tests may collect the bytes).
    public init(write: @escaping @Sendable ([UInt8]) async throws -> Void) {
        self.write = write
    }

    /// Writes `bytes` to the child's standard input, waiting while the pipe is full.
    ///
    /// - Throws: when the child has closed its input or ended (EPIPE), or on cancellation.
    public func send(_ bytes: [UInt8]) async throws {
        try await write(bytes)
    }
}
