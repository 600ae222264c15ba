import Foundation

/// What the daemon tells the log streamer over its control pipe: which deployments to
/// follow, where to write, and the secrets to redact. Sent whole at start and again on every
/// change (a parameter set, a deployment added or removed); the streamer applies it to the
/// next line.
public struct LogStreamerConfiguration: Codable, Sendable, Equatable {
    /// One deployment to follow.
    public struct Deployment: Codable, Sendable, Equatable {
        /// Deployment name.
        public var name: String
        /// Compose project (`stevedore-<name>`): containers carry `com.docker.compose.project`.
        public var project: String
        /// Its log directory, `deployments/<name>/logs`.
        public var directory: String
        /// Its disk limits.
        public var limits: LogLimits

        /// A deployment entry (see the properties).
        public init(name: String, project: String, directory: String, limits: LogLimits) {
            self.name = name
            self.project = project
            self.directory = directory
            self.limits = limits
        }
    }

    /// One secret: its name (shown in the marker) and value, base64 (values are bytes).
    public struct SecretValue: Codable, Sendable, Equatable {
        /// Shown as `[REDACTED:KEY]`.
        public var key: String
        /// The value, base64.
        public var base64: String

        /// A secret entry.
        public init(key: String, value: [UInt8]) {
            self.key = key
            self.base64 = Data(value).base64EncodedString()
        }

        /// The value's bytes (empty if ``base64`` is not base64).
        public var value: [UInt8] { Array(Data(base64Encoded: base64) ?? Data()) }
    }

    /// The Docker engine's socket.
    public var dockerSocket: String
    /// Deployments to follow.
    public var deployments: [Deployment]
    /// Secrets to redact.
    public var secrets: [SecretValue]
    /// Seconds between `WATCHDOG=1` heartbeats.
    public var heartbeatSeconds: Double
    /// Milliseconds a line without newline waits before it is written anyway.
    public var idleFlushMilliseconds: Int

    /// A configuration (see the properties).
    public init(
        dockerSocket: String, deployments: [Deployment], secrets: [SecretValue], heartbeatSeconds: Double = 5,
        idleFlushMilliseconds: Int = 500
    ) {
        self.dockerSocket = dockerSocket
        self.deployments = deployments
        self.secrets = secrets
        self.heartbeatSeconds = Self.heartbeatRange.clamping(heartbeatSeconds)
        self.idleFlushMilliseconds = Self.idleFlushRange.clamping(idleFlushMilliseconds)
    }

    /// Allowed heartbeat intervals, in seconds (a longer or non-finite one would not fit a
    /// `Duration`).
    public static let heartbeatRange: ClosedRange<Double> = 0.2...86_400
    /// Allowed idle-flush delays, in milliseconds.
    public static let idleFlushRange: ClosedRange<Int> = 0...60_000

    private enum CodingKeys: String, CodingKey {
        case dockerSocket, deployments, secrets, heartbeatSeconds, idleFlushMilliseconds
    }

    /// Decodes through ``init(dockerSocket:deployments:secrets:heartbeatSeconds:idleFlushMilliseconds:)``,
    /// so that out-of-range numbers are clamped as there.
    ///
    /// - Throws: `DecodingError`.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            dockerSocket: try c.decode(String.self, forKey: .dockerSocket),
            deployments: try c.decode([Deployment].self, forKey: .deployments),
            secrets: try c.decode([SecretValue].self, forKey: .secrets),
            heartbeatSeconds: try c.decode(Double.self, forKey: .heartbeatSeconds),
            idleFlushMilliseconds: try c.decode(Int.self, forKey: .idleFlushMilliseconds))
    }
}

extension ClosedRange {
    /// `value`, or the nearest bound when outside (NaN: the lower bound).
    func clamping(_ value: Bound) -> Bound {
        if value > upperBound { return upperBound }
        return value >= lowerBound ? value : lowerBound
    }
}
