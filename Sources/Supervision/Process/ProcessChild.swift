import Foundation
import Logging
import Subprocess
import Synchronization

#if canImport(System)
    import System
#else
    import SystemPackage
#endif

extension ChildSpec {
    /// A process-isolated child: `command` runs as a separate OS process, so that a trap
    /// (`fatalError`, force-unwrap of nil) there ends only that process and its supervisor
    /// restarts it; siblings are untouched.
    ///
    /// The process runs in its own process group with a scrubbed environment (`PATH`, `LANG`
    /// and `environment` only: no `NOTIFY_SOCKET`/`WATCHDOG_*` of the daemon's), and gets a
    /// private datagram socket as `NOTIFY_SOCKET` on which the supervisor reads the sd_notify
    /// protocol (sd_notify(3)): `READY=1` ends its start, `WATCHDOG=1` is its heartbeat,
    /// `STATUS=` shows in the tree. Stopping sends SIGTERM to the group, then SIGKILL after
    /// the shutdown timeout; the process is always reaped. Its output goes to the daemon's log.
    ///
    /// - Parameters:
    ///   - command: absolute executable path and arguments.
    ///   - environment: extra variables.
    ///   - readyTimeout: how long to wait for `READY=1`; default 30 s.
    ///   - liveness: `WATCHDOG=1` deadline, if any.
    ///   - runtimeDirectory: where notify sockets are created (mode 0700 is applied).
    ///   - control: called once per incarnation, as soon as the process runs, with its
    ///     standard input (``ProcessControl``); cancelled when the process ends. `nil`: the
    ///     process's standard input is closed at once (it reads end-of-file).
    ///
    /// Besides the sd_notify(3) variables, `X_STEVEDORE_DEGRADED=reason` marks the child
    /// `degraded` (a dependency is down, it keeps running and retries) and an empty value
    /// clears it: sd_notify(3) leaves `X_` names to applications.
    public static func process(
        _ id: String,
        command: [String],
        environment: [String: String] = [:],
        restart: RestartType = .permanent,
        shutdown: ShutdownPolicy = .timeout(.seconds(5)),
        readyTimeout: Duration? = .seconds(30),
        liveness: Duration? = nil,
        runtimeDirectory: String,
        control: (@Sendable (ProcessControl) async throws -> Void)? = nil,
        logger: Logger = Logger(label: "stevedore.process-child")
    ) -> ChildSpec {
        precondition(!command.isEmpty && command[0].hasPrefix("/"), "command needs an absolute executable path")
        return ChildSpec(
            id: id, restart: restart, shutdown: shutdown, type: .worker,
            readiness: .explicit(timeout: readyTimeout), liveness: liveness, gracefulStop: true
        ) { context in
            try await ProcessChild.run(
                command: command, environment: environment, context: context,
                runtimeDirectory: runtimeDirectory, control: control, logger: logger)
        }
    }
}

/// Runs one incarnation of a process-isolated child (see ``ChildSpec/process(_:command:environment:restart:shutdown:readyTimeout:liveness:runtimeDirectory:logger:)``).
enum ProcessChild {
    static func run(
        command: [String], environment: [String: String], context: ChildContext,
        runtimeDirectory: String, control: (@Sendable (ProcessControl) async throws -> Void)?, logger: Logger
    ) async throws {
        try FileManager.default.createDirectory(
            atPath: runtimeDirectory, withIntermediateDirectories: true,
            attributes: [.posixPermissions: 0o700])
        let name = context.path.replacingOccurrences(of: "/", with: "_")
        let socket = try NotifySocket(path: "\(runtimeDirectory)/\(name).\(UInt32.random(in: 0 ... .max)).notify")
        defer { socket.close() }

        var env: [Environment.Key: String] = [:]
        let inherited = ProcessInfo.processInfo.environment
        for key in ["PATH", "LANG", "TZ"] { if let value = inherited[key] { env[Environment.Key(rawValue: key)!] = value } }
        for (key, value) in environment { env[Environment.Key(rawValue: key)!] = value }
        env["NOTIFY_SOCKET"] = socket.path

        var options = PlatformOptions()
        options.processGroupID = 0
        // The graceful SIGTERM was sent on the shutdown request; cancellation comes only
        // after the shutdown timeout, so it kills the whole group at once.
        options.teardownSequence = [.send(signal: .kill, toProcessGroup: true, allowedDurationToNextStep: .milliseconds(100))]
        let live = Mutex<pid_t?>(nil)
        // READY=1 can arrive before Subprocess hands over the pid: hold it until the pid is
        // set, so that a child is never `running` without its pid (status shows both).
        let readiness = ReadyGate()
        let childLogger = logger.with(path: context.path)

        // The notify reader lives until the process has exited and been reaped, not until its
        // output closes: a child may close stdout long before it sends READY=1 or WATCHDOG=1.
        let result: ExecutionResult<Void, SequenceOutput, CombinedErrorOutput> = try await withThrowingTaskGroup(
            of: Void.self
        ) { group in
            defer { if let pid = live.withLock({ $0 }) { OrphanReaper.disown(pid) } }
            group.addTask {
                for await message in socket.messages {
                    if message.isReady {
                        if readiness.readyArrived() { context.ready() }
                    }
                    if message.isWatchdog { context.heartbeat() }
                    if let status = message.status { context.setStatus(status) }
                    if let degraded = message[NotifyMessage.degradedKey] { context.setDegraded(degraded.isEmpty ? nil : degraded) }
                }
            }
            defer { socket.close() }  // delivers what was sent last, then ends the reader
            do {
                return try await Subprocess.run(
                    .path(FilePath(command[0])), arguments: Arguments(Array(command.dropFirst())),
                    environment: .custom(env), platformOptions: options,
                    input: .inputWriter, output: .sequence, error: .combinedWithOutput
                ) { execution in
                    let pid = execution.processIdentifier.value
                    OrphanReaper.own(pid)  // Subprocess reaps it; the reaper must not
                    live.withLock { $0 = pid }
                    context.setPID(pid)
                    if readiness.pidArrived() { context.ready() }
                    context.onShutdownRequest {
                        live.withLock { current in if let current { kill(-current, SIGTERM) } }
                    }
                    let writer = execution.standardInputWriter
                    if control == nil { _ = try? await writer.finish() }
                    await withTaskGroup(of: Void.self) { body in
                        if let control {
                            body.addTask {
                                let channel = ProcessControl { bytes in _ = try await writer.write(bytes) }
                                do { try await control(channel) } catch {}
                            }
                        }
                        do {
                            for try await line in execution.standardOutput.strings() {
                                childLogger.info("\(line)")
                            }
                        } catch {}
                        // Output closed: the process is ending; the control feed ends with it.
                        body.cancelAll()
                    }
                    _ = try? await writer.finish()
                }
            } catch let error as SubprocessError {
                throw ProcessChildError.launchFailed(command: command[0], message: String(describing: error))
            }
        }
        // The pid stays in the context (shown only while the incarnation runs): clearing it
        // here would show a `running` child without a pid until its exit is handled.
        live.withLock { $0 = nil }
        switch result.terminationStatus {
        case .exited(0): return
        case .exited(let status): throw ProcessChildError.exited(command: command[0], status: status)
        case .signaled(let signal): throw ProcessChildError.signaled(command: command[0], signal: signal)
        }
    }
}

/// Orders READY=1 after the pid: whichever of the two arrives second says "now".
private final class ReadyGate: Sendable {
    private let state = Mutex<(pidKnown: Bool, readyHeld: Bool)>((false, false))

    /// READY=1 arrived; `true` if the pid is known, so the child is ready now.
    func readyArrived() -> Bool {
        state.withLock { s in
            if !s.pidKnown { s.readyHeld = true }
            return s.pidKnown
        }
    }

    /// The pid is known; `true` if READY=1 came first and was held.
    func pidArrived() -> Bool {
        state.withLock { s in
            s.pidKnown = true
            return s.readyHeld
        }
    }
}

extension Logger {
    func with(path: String) -> Logger {
        var copy = self
        copy[metadataKey: "child"] = "\(path)"
        return copy
    }
}
