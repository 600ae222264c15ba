import Foundation
import Subprocess
import Synchronization

#if canImport(System)
    import System
#else
    import SystemPackage
#endif

/// Runs external commands (git, docker compose) the way the daemon must:
/// - in a process group of their own, so a timeout kills the command and everything it
///   started (SIGTERM to the group, SIGKILL after a grace period);
/// - with an environment from which systemd's `NOTIFY_SOCKET`, `WATCHDOG_USEC`,
///   `WATCHDOG_PID`, `LISTEN_FDS`, `LISTEN_PID` and `LISTEN_FDNAMES` are removed, so that no
///   child can talk to systemd as if it were the daemon (sd_notify(3));
/// - arguments passed as a vector, never through a shell.
public struct ProcessRunner: Sendable {
    /// Bytes of combined output kept for results and error messages.
    public static let outputTailBytes = 64 * 1024

    /// Variables never passed to children.
    public static let scrubbedVariables: Set<String> = [
        "NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID", "LISTEN_FDS", "LISTEN_PID", "LISTEN_FDNAMES",
    ]

    /// Grace period between SIGTERM and SIGKILL on timeout or cancellation.
    public var killGracePeriod: Duration

    /// - Parameter killGracePeriod: time between SIGTERM and SIGKILL to the process group; default 5 s.
    public init(killGracePeriod: Duration = .seconds(5)) {
        self.killGracePeriod = killGracePeriod
    }

    /// The daemon's environment without ``scrubbedVariables``, merged with `extra`.
    public static func childEnvironment(extra: [String: String] = [:]) -> [String: String] {
        var env = ProcessInfo.processInfo.environment
        for name in scrubbedVariables { env.removeValue(forKey: name) }
        env.merge(extra) { _, new in new }
        return env
    }

    /// Runs `command` (`[executable, args…]`; the executable is looked up in `PATH` unless
    /// it contains a `/`) and waits for it.
    ///
    /// - Parameters:
    ///   - environment: the complete environment; default ``childEnvironment(extra:)``.
    ///   - workingDirectory: directory to run in; default the daemon's.
    ///   - timeout: wall-clock limit, after which the process group is killed.
    ///   - onLine: called with each output line as it arrives (progress).
    /// - Returns: the result, whatever the exit status (see ``runChecked(_:environment:workingDirectory:timeout:onLine:)``).
    /// - Throws: ``ProcessError/timedOut(command:timeout:output:)``,
    ///   ``ProcessError/launchFailed(command:message:)``, `CancellationError`.
    public func run(
        _ command: [String],
        environment: [String: String]? = nil,
        workingDirectory: String? = nil,
        timeout: Duration,
        onLine: (@Sendable (String) -> Void)? = nil
    ) async throws -> ProcessResult {
        precondition(!command.isEmpty, "empty command")
        let executable: Executable = command[0].contains("/") ? .path(FilePath(command[0])) : .name(command[0])
        let env = environment ?? Self.childEnvironment()
        let options: PlatformOptions = {
            var options = PlatformOptions()
            options.processGroupID = 0
            options.teardownSequence = [.gracefulShutDown(toProcessGroup: true, allowedDurationToNextStep: killGracePeriod)]
            return options
        }()
        let tail = OutputTail(limit: Self.outputTailBytes)

        let execute: @Sendable () async throws -> ProcessResult = {
            let result = try await Subprocess.run(
                executable,
                arguments: Arguments(Array(command.dropFirst())),
                environment: .custom(Dictionary(uniqueKeysWithValues: env.map { (Environment.Key(rawValue: $0.key)!, $0.value) })),
                workingDirectory: workingDirectory.map { FilePath($0) },
                platformOptions: options,
                input: .none,
                output: .sequence,
                error: .combinedWithOutput
            ) { execution in
                for try await line in execution.standardOutput.strings() {
                    tail.append(line)
                    onLine?(line)
                }
            }
            var exitCode: Int32?
            var signal: Int32?
            switch result.terminationStatus {
            case .exited(let code): exitCode = code
            case .signaled(let sig): signal = sig
            }
            return ProcessResult(command: command, exitCode: exitCode, signal: signal, output: tail.text)
        }

        do {
            return try await withThrowingTaskGroup(of: ProcessResult?.self) { group in
                group.addTask { try await execute() }
                group.addTask {
                    try await Task.sleep(for: timeout)
                    return nil
                }
                defer { group.cancelAll() }
                guard let first = try await group.next(), let result = first else {
                    throw ProcessError.timedOut(command: command, timeout: timeout, output: tail.text)
                }
                return result
            }
        } catch let error as SubprocessError {
            throw ProcessError.launchFailed(command: command, message: String(describing: error))
        }
    }

    /// Like ``run(_:environment:workingDirectory:timeout:onLine:)`` but a non-zero exit
    /// throws ``ProcessError/failed(_:)``.
    public func runChecked(
        _ command: [String],
        environment: [String: String]? = nil,
        workingDirectory: String? = nil,
        timeout: Duration,
        onLine: (@Sendable (String) -> Void)? = nil
    ) async throws -> ProcessResult {
        let result = try await run(command, environment: environment, workingDirectory: workingDirectory, timeout: timeout, onLine: onLine)
        guard result.succeeded else { throw ProcessError.failed(result) }
        return result
    }
}

/// The last `limit` bytes of a process's output, line by line. Thread-safe.
final class OutputTail: Sendable {
    private let storage: Mutex<(lines: [String], bytes: Int)>
    private let limit: Int

    init(limit: Int) {
        self.limit = limit
        storage = Mutex(([], 0))
    }

    func append(_ line: String) {
        storage.withLock { s in
            s.lines.append(line)
            s.bytes += line.utf8.count + 1
            while s.bytes > limit, s.lines.count > 1 {
                s.bytes -= s.lines.removeFirst().utf8.count + 1
            }
        }
    }

    var text: String { storage.withLock { $0.lines.joined(separator: "\n") } }
}
