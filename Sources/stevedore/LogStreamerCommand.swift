import ArgumentParser
import Foundation
import LogStreamer
import Logging
import Services

/// `stevedore log-streamer` (hidden): the log streamer process. The daemon starts it as its
/// `log-streamer` child and sends its configuration and secrets on standard input; it is not
/// meant to be run by hand (it exits at once when standard input ends).
struct LogStreamerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "log-streamer",
        abstract: "The daemon's log streamer process (started by `stevedore daemon`; not for direct use).",
        shouldDisplay: false)

    func run() async throws {
        // The daemon's NIO sizing (STEVEDORE_NIO_THREADS is inherited), before any NIO use.
        DaemonEventLoops.configure(threads: (try? DaemonEventLoops.threads(environment: ProcessInfo.processInfo.environment)) ?? 1)
        let level = Logger.Level(rawValue: ProcessInfo.processInfo.environment["STEVEDORE_LOG_LEVEL"] ?? "info") ?? .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardOutput(label: label)
            handler.logLevel = level
            return handler
        }
        let notifier = SystemdNotifier(environment: ProcessInfo.processInfo.environment)
        // "off" means off here too (the daemon refused a bad value at its own start).
        if let delay = StartupCodeRelease.childDelay(environment: ProcessInfo.processInfo.environment) {
            Task.detached(priority: .background) { await StartupCodeRelease.run(after: delay) }
        }
        await LogStreamer(notify: { notifier.send($0) }, logger: Logger(label: "stevedore.log-streamer")).run()
    }
}
