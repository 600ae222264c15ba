import Docker
import LogStreamer
import Supervision

/// The daemon's settings, read from the environment (docs/OPERATIONS.md lists them).
public struct DaemonConfiguration: Sendable {
    /// State root (`STEVEDORE_ROOT`, default `/opt/stevedore`).
    public var root: StateRoot
    /// Admin API bind host and port (`STEVEDORE_LISTEN_ADDR`, default `0.0.0.0:42107`).
    public var listenHost: String
    /// Admin API port (1…65535).
    public var listenPort: Int
    /// Default seconds between remote checks for new deployments
    /// (`STEVEDORE_POLL_INTERVAL`, default 300; minimum 1 here so tests and the demo can
    /// poll quickly).
    public var defaultPollIntervalSeconds: Int
    /// Longest wait of a poller between failed checks of an unreachable remote, when longer
    /// than the deployment's poll interval (`STEVEDORE_POLL_BACKOFF_MAX`, default 300, minimum 1):
    /// the waits double from 5 s up to the larger of the two (``PollerWorker``).
    public var pollBackoffMaxSeconds: Int
    /// Seconds between reconciler passes (`STEVEDORE_RECONCILE_INTERVAL`, default 30).
    public var reconcileIntervalSeconds: Int
    /// Liveness deadline of the daemon's workers in seconds (`STEVEDORE_LIVENESS_DEADLINE`,
    /// default 60, minimum 4): a worker without a heartbeat for this long is `hung` and is
    /// restarted in-process. Workers beat every quarter of it.
    public var livenessDeadlineSeconds: Int
    /// Without systemd (container mode): seconds the tree may stay unhealthy before the daemon
    /// exits non-zero so that the container's restart policy restarts it, as systemd's
    /// watchdog would (`STEVEDORE_UNHEALTHY_EXIT_AFTER`, default 30, `0` = never).
    public var unhealthyExitAfterSeconds: Int
    /// Whether faults can be injected (`--fault-injection` or `STEVEDORE_FAULT_INJECTION=1`;
    /// default off). For drills and tests only.
    public var faultInjection: Bool
    /// Log level name (`STEVEDORE_LOG_LEVEL`, default `info`): trace, debug, info, notice,
    /// warning, error or critical.
    public var logLevel: String
    /// `STEVEDORE_COMPOSE=v1` prefers `docker-compose` over `docker compose`.
    public var preferComposeV1: Bool
    /// Where Git runs (`STEVEDORE_GIT_MODE`): `worker` (default: a short-lived container per
    /// operation) or `local` (a local `git` subprocess).
    public var gitMode: GitMode
    /// Image of the git worker containers (`STEVEDORE_GIT_IMAGE`, default `alpine/git:latest`).
    public var gitImage: String
    /// Limit for one Git operation in seconds (`STEVEDORE_GIT_TIMEOUT`, default 300, minimum 5).
    public var gitTimeoutSeconds: Int
    /// How the remote is checked (`STEVEDORE_GIT_CHECK`): `in-process` (default: in the daemon,
    /// no process or container; URLs it does not ask, such as `git://` or an RSA-only SSH
    /// server, go to `git ls-remote`), `ls-remote` (in a worker or subprocess, per
    /// `STEVEDORE_GIT_MODE`) or `shallow-fetch`.
    public var gitCheckMethod: GitCheckMethod
    /// Runtime directory: agent sockets live in `<dir>/agents` (`STEVEDORE_RUNTIME_DIR`; default
    /// systemd's `$RUNTIME_DIRECTORY`, else `/run/stevedore`). Must be a path the Docker
    /// engine sees too (worker containers mount the agent directory from it).
    public var runtimeDirectory: String
    /// Where the Docker host sees the state root when the daemon runs in a container with the
    /// root mounted at another path (`STEVEDORE_HOST_ROOT`, absolute; default: the same path).
    /// `STEVEDORE_DATA`, `STEVEDORE_LOGS` and `STEVEDORE_SHARED` are given to Compose under it.
    public var hostRoot: String?
    /// Base URL printed for webhooks (`STEVEDORE_PUBLIC_URL`, e.g. `https://deploy.example.org`;
    /// default: the `Host` the request came to, over http).
    public var publicURL: String?
    /// Restart intensity and revival of the `deployments/<name>` subtrees
    /// (`STEVEDORE_DEPLOYMENT_MAX_RESTARTS`, `STEVEDORE_DEPLOYMENT_RESTART_PERIOD`,
    /// `STEVEDORE_DEPLOYMENT_REVIVAL_INITIAL`, `STEVEDORE_DEPLOYMENT_REVIVAL_MAX`).
    public var deploymentRestarts: DeploymentRestartPolicy
    /// Daemon-wide log limits of each deployment (`STEVEDORE_LOG_MAX_SIZE`, default 64m;
    /// `STEVEDORE_LOG_FILE_SIZE`, default 8m); `x-stevedore.logs` overrides them per deployment.
    public var logLimits: LogLimits
    /// Whether the `log-streamer` child runs (`STEVEDORE_LOG_STREAMER`, default on).
    public var logStreamer: Bool
    /// How long after start the daemon (and its log streamer) first release the code mappings
    /// they ran only to start, then every 10 minutes (``StartupCodeRelease``;
    /// `STEVEDORE_CODE_RELEASE_AFTER`, default 60 s); `nil`: never.
    public var codeReleaseDelay: Duration?
    /// Full environment, for the database key lookup.
    public var environment: [String: String]

    /// Default admin API port.
    public static let defaultPort = 42107

    /// The accepted `STEVEDORE_LOG_LEVEL` values (swift-log's levels).
    public static let logLevels = ["trace", "debug", "info", "notice", "warning", "error", "critical"]

    /// Variables only the daemon reads; clients (``forClient(environment:)``) ignore them, so
    /// a typo in one does not break `stevedore status`.
    public static let daemonOnlyVariables = [
        "STEVEDORE_POLL_INTERVAL", "STEVEDORE_POLL_BACKOFF_MAX", "STEVEDORE_RECONCILE_INTERVAL", "STEVEDORE_LIVENESS_DEADLINE",
        "STEVEDORE_FAULT_INJECTION",
        "STEVEDORE_UNHEALTHY_EXIT_AFTER", "STEVEDORE_DEPLOYMENT_MAX_RESTARTS", "STEVEDORE_DEPLOYMENT_RESTART_PERIOD",
        "STEVEDORE_DEPLOYMENT_REVIVAL_INITIAL", "STEVEDORE_DEPLOYMENT_REVIVAL_MAX", "STEVEDORE_LOG_LEVEL", "STEVEDORE_GIT_MODE",
        "STEVEDORE_GIT_IMAGE", "STEVEDORE_GIT_TIMEOUT",
        "STEVEDORE_GIT_CHECK", "STEVEDORE_RUNTIME_DIR", "STEVEDORE_HOST_ROOT", "STEVEDORE_PUBLIC_URL",
        "STEVEDORE_LOG_MAX_SIZE", "STEVEDORE_LOG_FILE_SIZE", "STEVEDORE_LOG_STREAMER", "STEVEDORE_NIO_THREADS",
        StartupCodeRelease.variable,
    ]

    /// The configuration as a client (CLI, `doctor`) needs it: state root and listen address;
    /// daemon-only settings keep their defaults.
    ///
    /// - Throws: as ``init(environment:)``, for `STEVEDORE_ROOT` and `STEVEDORE_LISTEN_ADDR` only.
    public static func forClient(environment: [String: String]) throws -> DaemonConfiguration {
        try DaemonConfiguration(environment: environment.filter { !daemonOnlyVariables.contains($0.key) })
    }

    /// Reads the configuration.
    ///
    /// - Throws: ``ServiceError/invalidRoot(_:)``, ``ServiceError/invalidListenAddress(_:)``,
    ///   ``ServiceError/invalidDuration(name:value:allowed:)`` and ``ServiceError/invalidFlag(name:value:)``
    ///   naming the variable.
    public init(environment: [String: String]) throws {
        self.environment = environment
        let rootPath = environment["STEVEDORE_ROOT"].flatMap { $0.isEmpty ? nil : $0 } ?? "/opt/stevedore"
        guard rootPath.hasPrefix("/") else { throw ServiceError.invalidRoot(rootPath) }
        root = StateRoot(path: rootPath)
        (listenHost, listenPort) = try Self.parseListenAddress(environment["STEVEDORE_LISTEN_ADDR"] ?? "0.0.0.0:\(Self.defaultPort)")
        func seconds(_ name: String, default value: Int, minimum: Int) throws -> Int {
            try environment[name].map { try Validation.durationSeconds($0, name: name, minimum: minimum) } ?? value
        }
        defaultPollIntervalSeconds = try seconds("STEVEDORE_POLL_INTERVAL", default: 300, minimum: 1)
        pollBackoffMaxSeconds = try seconds("STEVEDORE_POLL_BACKOFF_MAX", default: PollerWorker.defaultBackoffMaxSeconds, minimum: 1)
        reconcileIntervalSeconds = try seconds("STEVEDORE_RECONCILE_INTERVAL", default: 30, minimum: 1)
        livenessDeadlineSeconds = try seconds("STEVEDORE_LIVENESS_DEADLINE", default: 60, minimum: 4)
        unhealthyExitAfterSeconds = try seconds("STEVEDORE_UNHEALTHY_EXIT_AFTER", default: 30, minimum: 0)
        let maxRestarts =
            try environment["STEVEDORE_DEPLOYMENT_MAX_RESTARTS"].map {
                guard let n = Int($0), (0...1000).contains(n) else {
                    throw ServiceError.invalidSetting(
                        name: "STEVEDORE_DEPLOYMENT_MAX_RESTARTS", value: $0, allowed: "a whole number from 0 to 1000")
                }
                return n
            } ?? 5
        let revivalInitial = try seconds("STEVEDORE_DEPLOYMENT_REVIVAL_INITIAL", default: 30, minimum: 1)
        let revivalMaximum = try seconds("STEVEDORE_DEPLOYMENT_REVIVAL_MAX", default: 300, minimum: 1)
        guard revivalMaximum >= revivalInitial else {
            throw ServiceError.invalidSetting(
                name: "STEVEDORE_DEPLOYMENT_REVIVAL_MAX", value: environment["STEVEDORE_DEPLOYMENT_REVIVAL_MAX"] ?? "\(revivalMaximum)s",
                allowed: "a duration at least STEVEDORE_DEPLOYMENT_REVIVAL_INITIAL (\(revivalInitial)s)")
        }
        deploymentRestarts = DeploymentRestartPolicy(
            intensity: RestartIntensity(
                maxRestarts: maxRestarts,
                period: .seconds(try seconds("STEVEDORE_DEPLOYMENT_RESTART_PERIOD", default: 60, minimum: 1))),
            revivalInitial: .seconds(revivalInitial), revivalMaximum: .seconds(revivalMaximum))
        faultInjection = try Validation.flag(environment["STEVEDORE_FAULT_INJECTION"], name: "STEVEDORE_FAULT_INJECTION")
        logLevel = environment["STEVEDORE_LOG_LEVEL"].flatMap { $0.isEmpty ? nil : $0 } ?? "info"
        guard Self.logLevels.contains(logLevel) else {
            throw ServiceError.invalidSetting(name: "STEVEDORE_LOG_LEVEL", value: logLevel, allowed: Self.logLevels.joined(separator: ", "))
        }
        let compose = environment["STEVEDORE_COMPOSE"] ?? ""
        guard ["", "auto", "v1", "v2"].contains(compose) else {
            throw ServiceError.invalidSetting(name: "STEVEDORE_COMPOSE", value: compose, allowed: "v1, v2 or auto (empty)")
        }
        preferComposeV1 = compose == "v1"
        let mode = environment["STEVEDORE_GIT_MODE"].flatMap { $0.isEmpty ? nil : $0 } ?? GitMode.worker.rawValue
        guard let gitMode = GitMode(rawValue: mode) else {
            throw ServiceError.invalidSetting(
                name: "STEVEDORE_GIT_MODE", value: mode,
                allowed: "worker (git in a container per operation, the default) or local (git on the host)")
        }
        self.gitMode = gitMode
        gitImage = environment["STEVEDORE_GIT_IMAGE"].flatMap { $0.isEmpty ? nil : $0 } ?? GitWorkerExecutor.defaultImage
        guard !gitImage.hasPrefix("-"), !gitImage.contains(where: { $0.isWhitespace || $0.isNewline }) else {
            throw ServiceError.invalidSetting(
                name: "STEVEDORE_GIT_IMAGE", value: gitImage, allowed: "an image reference such as alpine/git:latest")
        }
        gitTimeoutSeconds = try seconds("STEVEDORE_GIT_TIMEOUT", default: 300, minimum: 5)
        let check = environment["STEVEDORE_GIT_CHECK"].flatMap { $0.isEmpty ? nil : $0 } ?? GitCheckMethod.inProcess.rawValue
        guard let method = GitCheckMethod(rawValue: check) else {
            throw ServiceError.invalidSetting(
                name: "STEVEDORE_GIT_CHECK", value: check, allowed: "in-process (default), ls-remote or shallow-fetch")
        }
        gitCheckMethod = method
        let runtime =
            environment["STEVEDORE_RUNTIME_DIR"].flatMap { $0.isEmpty ? nil : $0 }
            ?? environment["RUNTIME_DIRECTORY"].flatMap { $0.isEmpty ? nil : String($0.split(separator: ":").first ?? "") }
            ?? "/run/stevedore"
        guard runtime.hasPrefix("/") else {
            throw ServiceError.invalidSetting(
                name: "STEVEDORE_RUNTIME_DIR", value: runtime, allowed: "an absolute path, e.g. /run/stevedore")
        }
        runtimeDirectory = runtime
        hostRoot = environment["STEVEDORE_HOST_ROOT"].flatMap { $0.isEmpty ? nil : $0 }
        if let hostRoot {
            guard hostRoot.hasPrefix("/"), !hostRoot.split(separator: "/").contains("..") else {
                throw ServiceError.invalidSetting(
                    name: "STEVEDORE_HOST_ROOT", value: hostRoot,
                    allowed: "an absolute path without '..': where the Docker host sees the state root")
            }
            self.hostRoot = hostRoot.count > 1 && hostRoot.hasSuffix("/") ? String(hostRoot.dropLast()) : hostRoot
        }
        func size(_ name: String, default value: Int) throws -> Int {
            guard let text = environment[name], !text.isEmpty else { return value }
            guard let bytes = StevedoreSettings.parseSize(text), StevedoreSettings.logSizeRange.contains(bytes) else {
                throw ServiceError.invalidSetting(
                    name: name, value: text, allowed: "a size from 64k to 64g, like 512k, 64m, 1g (powers of 1024) or bytes")
            }
            return bytes
        }
        let maxSize = try size("STEVEDORE_LOG_MAX_SIZE", default: LogLimits.defaultMaximumBytes)
        let fileSize = try size(
            "STEVEDORE_LOG_FILE_SIZE", default: LogLimits.defaultFileBytes(forCap: maxSize))
        guard fileSize <= maxSize else {
            throw ServiceError.invalidSetting(
                name: "STEVEDORE_LOG_FILE_SIZE", value: environment["STEVEDORE_LOG_FILE_SIZE"] ?? "\(fileSize)",
                allowed: "a size at most STEVEDORE_LOG_MAX_SIZE (\(maxSize) bytes)")
        }
        logLimits = LogLimits(maximumBytes: maxSize, fileBytes: fileSize)
        logStreamer = try environment["STEVEDORE_LOG_STREAMER"].map { try Validation.flag($0, name: "STEVEDORE_LOG_STREAMER") } ?? true
        codeReleaseDelay = try StartupCodeRelease.delay(environment: environment)
        publicURL = environment["STEVEDORE_PUBLIC_URL"].flatMap { $0.isEmpty ? nil : $0 }
        if let publicURL {
            guard publicURL.hasPrefix("http://") || publicURL.hasPrefix("https://"), !publicURL.contains(where: \.isWhitespace) else {
                throw ServiceError.invalidSetting(
                    name: "STEVEDORE_PUBLIC_URL", value: publicURL,
                    allowed: "an http:// or https:// URL such as https://deploy.example.org")
            }
            self.publicURL = publicURL.hasSuffix("/") ? String(publicURL.dropLast()) : publicURL
        }
    }

    /// The workers' liveness deadline and heartbeat interval.
    public var timing: WorkerTiming { WorkerTiming(livenessDeadline: .seconds(livenessDeadlineSeconds)) }

    /// Splits `HOST:PORT` (`[v6]:PORT` for IPv6).
    ///
    /// - Throws: ``ServiceError/invalidListenAddress(_:)``.
    public static func parseListenAddress(_ value: String) throws -> (String, Int) {
        guard let colon = value.lastIndex(of: ":") else { throw ServiceError.invalidListenAddress(value) }
        var host = String(value[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty, let port = Int(value[value.index(after: colon)...]), (1...65535).contains(port) else {
            throw ServiceError.invalidListenAddress(value)
        }
        return (host, port)
    }

    /// The base URL a local client uses to reach the admin API (`0.0.0.0`/`::` become loopback).
    public var localBaseURL: String {
        let host: String =
            switch listenHost {
            case "0.0.0.0", "*": "127.0.0.1"
            case "::": "[::1]"
            default: listenHost.contains(":") ? "[\(listenHost)]" : listenHost
            }
        return "http://\(host):\(listenPort)"
    }
}
