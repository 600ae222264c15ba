/// `GET /containers/{id}/json` (Docker Engine API v1.41), the fields Stevedore reads.
public struct ContainerDetails: Decodable, Sendable {
    /// `State` of the inspect answer.
    public struct State: Decodable, Sendable {
        /// `created`, `running`, `paused`, `restarting`, `removing`, `exited` or `dead`.
        public var status: String
        /// Whether the main process runs.
        public var running: Bool
        /// Exit status of the last run.
        public var exitCode: Int
        /// Present when the image or Compose defines a healthcheck.
        public var health: Health?
        /// When the current (or last) run started, RFC 3339; changes on every restart.
        public var startedAt: String?

        enum CodingKeys: String, CodingKey {
            case status = "Status"
            case running = "Running"
            case exitCode = "ExitCode"
            case health = "Health"
            case startedAt = "StartedAt"
        }
    }

    /// `State.Health` of the inspect answer.
    public struct Health: Decodable, Sendable {
        /// `starting`, `healthy` or `unhealthy`.
        public var status: String
        /// The most recent probes, oldest first.
        public var log: [Probe]?
        enum CodingKeys: String, CodingKey {
            case status = "Status"
            case log = "Log"
        }

        /// One healthcheck probe of `State.Health.Log`.
        public struct Probe: Decodable, Sendable {
            /// The probe's exit code (0 healthy).
            public var exitCode: Int?
            /// What the probe printed (Docker keeps up to 4 KiB).
            public var output: String?
            enum CodingKeys: String, CodingKey {
                case exitCode = "ExitCode"
                case output = "Output"
            }
        }
    }

    /// `HostConfig` of the inspect answer (restart policy and logging driver).
    public struct HostConfig: Decodable, Sendable {
        /// `HostConfig.LogConfig`: the logging driver and its options.
        public struct LogConfig: Decodable, Sendable {
            /// `json-file`, `local`, `journald`, `none`, …
            public var type: String
            /// Driver options, e.g. `max-size: 10m`.
            public var config: [String: String]?
            enum CodingKeys: String, CodingKey {
                case type = "Type"
                case config = "Config"
            }
        }
        /// The container's logging driver.
        public var logConfig: LogConfig?
        /// `HostConfig.RestartPolicy`.
        public struct RestartPolicy: Decodable, Sendable {
            /// `""`/`no`, `always`, `unless-stopped` or `on-failure`.
            public var name: String
            enum CodingKeys: String, CodingKey { case name = "Name" }
        }
        /// The container's restart policy.
        public var restartPolicy: RestartPolicy?
        enum CodingKeys: String, CodingKey {
            case restartPolicy = "RestartPolicy"
            case logConfig = "LogConfig"
        }
    }

    /// `Config` of the inspect answer (the fields the log streamer needs).
    public struct Config: Decodable, Sendable {
        /// Whether the container has a TTY: its log stream then has no frame headers.
        public var tty: Bool?
        /// The container's labels (`com.docker.compose.service`, …).
        public var labels: [String: String]?
        enum CodingKeys: String, CodingKey {
            case tty = "Tty"
            case labels = "Labels"
        }
    }

    /// Whether the logging driver keeps an unbounded copy of the output: `json-file` (the
    /// engine's default) without a `max-size` option grows until the disk is full.
    public var hasUnboundedLogs: Bool {
        guard let log = hostConfig?.logConfig else { return false }
        return log.type == "json-file" && (log.config?["max-size"] ?? "").isEmpty
    }

    /// Full container id.
    public var id: String
    /// Name with a leading `/`.
    public var name: String
    /// Runtime state.
    public var state: State
    /// Restart policy and other host settings.
    public var hostConfig: HostConfig?
    /// How many times the engine restarted the container by its restart policy.
    public var restartCount: Int?
    /// TTY and labels.
    public var config: Config?
    /// When the container was created, RFC 3339 with nanoseconds.
    public var created: String?

    enum CodingKeys: String, CodingKey {
        case id = "Id"
        case name = "Name"
        case state = "State"
        case hostConfig = "HostConfig"
        case restartCount = "RestartCount"
        case config = "Config"
        case created = "Created"
    }

    /// A one-shot container that finished its job: exited with status 0 and no restart
    /// policy that would run it again (`no` or `on-failure`). Not a failure, not to restart.
    public var hasCompleted: Bool {
        guard !state.running, state.status == "exited", state.exitCode == 0 else { return false }
        let policy = hostConfig?.restartPolicy?.name ?? ""
        return policy == "" || policy == "no" || policy == "on-failure"
    }
}
