import Docker
import Foundation
import LogStreamer
import Logging
import Redaction
import Store
import Supervision
import Synchronization

/// The daemon's side of the log streamer's control pipe: builds the streamer's
/// configuration (deployments, log limits, secrets) from the store and sends it to the
/// running incarnation whole, at its start and after every change (``refresh()``), so that a
/// parameter set takes effect for the next line without restarting anything.
///
/// Secrets: every parameter value not marked public (`param set --public`), every webhook
/// secret, the admin API key. Values under 8 bytes are not redacted (``SecretForms/minimumLength``).
public final class LogStreamerFeed: Sendable {
    private let engine: DeploymentEngine
    private let defaults: LogLimits
    private let extraSecrets: [Secret]
    private let heartbeatSeconds: Double
    private let logger: Logger
    private let channels = Mutex<[Int: AsyncStream<LogStreamerMessage>.Continuation]>([:])
    private let nextChannel = Atomic<Int>(0)

    /// - Parameters:
    ///   - defaults: daemon-wide log limits (`STEVEDORE_LOG_MAX_SIZE`, `STEVEDORE_LOG_FILE_SIZE`).
    ///   - extraSecrets: secrets not in the store (the admin API key).
    ///   - heartbeatSeconds: the streamer's `WATCHDOG=1` interval (a quarter of the liveness deadline).
    public init(engine: DeploymentEngine, defaults: LogLimits, extraSecrets: [Secret], heartbeatSeconds: Double, logger: Logger) {
        self.engine = engine
        self.heartbeatSeconds = heartbeatSeconds
        self.defaults = defaults
        self.extraSecrets = extraSecrets
        self.logger = logger
    }

    /// The configuration as the store holds it now.
    ///
    /// - Throws: store errors.
    public func configuration() async throws -> LogStreamerConfiguration {
        var deployments: [LogStreamerConfiguration.Deployment] = []
        var secrets: [LogStreamerConfiguration.SecretValue] = extraSecrets.map { .init(key: $0.key, value: $0.value) }
        for record in try await engine.store.deployments() {
            deployments.append(
                .init(
                    name: record.name, project: DeploymentEngine.projectName(record.name),
                    directory: engine.root.logs(record.name), limits: limits(of: record.name)))
            for (key, value) in try await engine.store.secretParameters(of: record.name) where value.utf8.count >= SecretForms.minimumLength
            {
                secrets.append(.init(key: key, value: Array(value.utf8)))
            }
            if let webhook = try await engine.store.webhookSecret(of: record.name) {
                secrets.append(.init(key: "webhook-secret", value: Array(webhook.utf8)))
            }
        }
        return LogStreamerConfiguration(
            dockerSocket: engine.docker.socketPath, deployments: deployments, secrets: secrets, heartbeatSeconds: heartbeatSeconds)
    }

    /// The limits of a deployment: `x-stevedore.logs` of its checkout's Compose file over the
    /// daemon-wide defaults (the defaults if the file is missing or invalid).
    public func limits(of name: String) -> LogLimits {
        guard let file = try? ComposeFile.locate(in: engine.root.repo(name)),
            let settings = try? StevedoreSettings.read(composeFile: file)
        else { return defaults }
        return LogLimits(
            maximumBytes: settings.logMaxSize ?? defaults.maximumBytes,
            fileBytes: settings.logFileSize
                ?? min(defaults.fileBytes, LogLimits.defaultFileBytes(forCap: settings.logMaxSize ?? defaults.maximumBytes)),
            lineBytes: defaults.lineBytes)
    }

    /// Serves one incarnation of the streamer: sends the configuration, then every update and
    /// fault until the process ends (the write fails) or the task is cancelled.
    public func serve(_ control: ProcessControl) async throws {
        let (stream, continuation) = AsyncStream.makeStream(of: LogStreamerMessage.self)
        let id = nextChannel.add(1, ordering: .relaxed).newValue
        channels.withLock { $0[id] = continuation }
        defer { _ = channels.withLock { $0.removeValue(forKey: id) } }
        try await control.send(try LogStreamerMessage.configure(try await configuration()).framed())
        for await message in stream {
            try await control.send(try message.framed())
        }
    }

    /// Sends the current configuration to the running streamer (after a parameter, webhook
    /// secret or deployment changed). Errors are logged: the next change or restart sends it again.
    public func refresh() async {
        do {
            let message = LogStreamerMessage.configure(try await configuration())
            for continuation in channels.withLock({ Array($0.values) }) { continuation.yield(message) }
        } catch {
            logger.warning("cannot build the log streamer's configuration", metadata: ["error": "\(error)"])
        }
    }

    /// Sends a drill fault to the running streamer.
    public func send(fault: InjectedFault) async {
        for continuation in channels.withLock({ Array($0.values) }) { continuation.yield(.fault(fault.rawValue)) }
    }
}
