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

    /// `HostConfig` of the inspect answer (the restart policy only).
    public struct HostConfig: Decodable, Sendable {
        /// `HostConfig.RestartPolicy`.
        public struct RestartPolicy: Decodable, Sendable {
            /// `""`/`no`, `always`, `unless-stopped` or `on-failure`.
            public var name: String
            enum CodingKeys: String, CodingKey { case name = "Name" }
        }
        /// The container's restart policy.
        public var restartPolicy: RestartPolicy?
        enum CodingKeys: String, CodingKey { case restartPolicy = "RestartPolicy" }
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

    enum CodingKeys: String, CodingKey {
        case id = "Id"
        case name = "Name"
        case state = "State"
        case hostConfig = "HostConfig"
        case restartCount = "RestartCount"
    }

    /// A one-shot container that finished its job: exited with status 0 and no restart
    /// policy that would run it again (`no` or `on-failure`). Not a failure, not to restart.
    public var hasCompleted: Bool {
        guard !state.running, state.status == "exited", state.exitCode == 0 else { return false }
        let policy = hostConfig?.restartPolicy?.name ?? ""
        return policy == "" || policy == "no" || policy == "on-failure"
    }
}
