import ArgumentParser
import Foundation
import Logging
import Services

/// `stevedore daemon`: runs the supervision tree in the foreground.
struct DaemonCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "daemon",
        abstract: "Run the Stevedore daemon in the foreground (under systemd or a container).",
        discussion: """
            Environment: STEVEDORE_ROOT, STEVEDORE_LISTEN_ADDR, STEVEDORE_POLL_INTERVAL (default \
            poll interval for new repositories, e.g. 5m), STEVEDORE_RECONCILE_INTERVAL (30s), \
            STEVEDORE_DB_KEY / STEVEDORE_DB_KEY_FILE, STEVEDORE_COMPOSE=v1, STEVEDORE_LOG_LEVEL, \
            STEVEDORE_LIVENESS_DEADLINE (60s), STEVEDORE_FAULT_INJECTION=1 (drills only), \
            STEVEDORE_DEPLOYMENT_MAX_RESTARTS (5) in STEVEDORE_DEPLOYMENT_RESTART_PERIOD (60s): more \
            restarts make a deployment's subtree give up; it is started again after \
            STEVEDORE_DEPLOYMENT_REVIVAL_INITIAL (30s), doubling up to STEVEDORE_DEPLOYMENT_REVIVAL_MAX \
            (5m), STEVEDORE_NIO_THREADS (1: SwiftNIO event loop threads). docs/OPERATIONS.md lists \
            every setting.
            Under systemd (NOTIFY_SOCKET set) it sends READY=1, STATUS=, STOPPING=1 and, with \
            WatchdogSec=, WATCHDOG=1 while the tree is healthy (sd_notify(3)).
            """)

    @OptionGroup var options: ClientOptions
    @Flag(help: "Allow `stevedore supervisor fault` (drills and tests only; same as STEVEDORE_FAULT_INJECTION=1).")
    var faultInjection = false

    func run() async throws {
        // Before anything uses SwiftNIO: its singleton group is sized once, at its creation.
        DaemonEventLoops.configure(threads: try DaemonEventLoops.threads(environment: options.environment))
        var configuration = try options.configuration(daemon: true)
        if faultInjection { configuration.faultInjection = true }
        let level = Logger.Level(rawValue: configuration.logLevel) ?? .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "stevedore")
        try await Daemon(configuration: configuration, logger: logger).run()
    }
}

/// `stevedore version`.
struct VersionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "version", abstract: "Print the version.")

    @Flag(help: "Print JSON.") var json = false

    func run() throws {
        if json {
            // `commit` is null for a build that recorded none (a plain `swift build`).
            struct Version: Encodable {
                var version: String
                var commit: String?
                func encode(to encoder: any Encoder) throws {
                    var container = encoder.container(keyedBy: CodingKeys.self)
                    try container.encode(version, forKey: .version)
                    try container.encode(commit, forKey: .commit)
                }
                enum CodingKeys: String, CodingKey { case version, commit }
            }
            try printJSON(Version(version: StevedoreVersion.current, commit: StevedoreVersion.commit))
        } else {
            print(StevedoreVersion.line)
        }
    }
}
