import Foundation
import Logging
import Supervision

/// The `log-streamer` child: the `stevedore` binary's hidden `log-streamer` subcommand in its
/// own process (``ChildSpec/process(_:command:environment:restart:shutdown:readyTimeout:liveness:runtimeDirectory:control:logger:)``),
/// fed by ``LogStreamerFeed`` over its standard input. A trap while parsing what a container
/// printed ends that process only; the root restarts it and every other child keeps running.
public enum LogStreamerWorker {
    /// The child's id (and path: a child of the root).
    public static let id = "log-streamer"

    /// The path of the running `stevedore` executable (`/proc/self/exe`).
    public static var executable: String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments.first ?? "stevedore"
    }

    /// The child spec: permanent, liveness from ``WorkerTiming``, SIGTERM then SIGKILL after 5 s.
    public static func spec(
        feed: LogStreamerFeed, runtimeDirectory: String, timing: WorkerTiming, executable: String = LogStreamerWorker.executable,
        logLevel: String = "info", logger: Logger
    ) -> ChildSpec {
        .process(
            id, command: [executable, "log-streamer"],
            environment: [
                "STEVEDORE_LOG_LEVEL": logLevel,
                // A trap prints its message (file and line) but no backtrace: symbolicating one
                // took 6 s here (every stream waits that long for the restart), and its
                // register and memory dumps could show a secret the streamer holds.
                "SWIFT_BACKTRACE": "enable=no",
                // The daemon's event loop sizing (DaemonEventLoops): one thread by default.
                DaemonEventLoops.variable: ProcessInfo.processInfo.environment[DaemonEventLoops.variable] ?? "",
                // It releases its start-up code like the daemon (StartupCodeRelease).
                StartupCodeRelease.variable: ProcessInfo.processInfo.environment[StartupCodeRelease.variable] ?? "",
            ],
            restart: .permanent, shutdown: .timeout(.seconds(5)), readyTimeout: .seconds(30), liveness: timing.livenessDeadline,
            runtimeDirectory: runtimeDirectory + "/children", control: { control in try await feed.serve(control) }, logger: logger)
    }
}
