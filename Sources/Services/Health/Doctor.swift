import Docker
import Foundation
import Store

/// `stevedore doctor`: checks what the daemon needs, one verdict per check with a fix.
public enum Doctor {
    /// One check's verdict (JSON: `name`, `ok`, `detail`, `fix`).
    public struct Check: Codable, Sendable, Equatable {
        /// What was checked, e.g. `docker engine`.
        public var name: String
        /// Whether it passed.
        public var ok: Bool
        /// What was found.
        public var detail: String
        /// What to do about it, when it failed or warns.
        public var fix: String?
        /// Passed, but with a risk worth fixing (shown with `!`; does not make `doctor` fail).
        public var warning: Bool = false
    }

    /// The settings file the unit reads (`EnvironmentFile=`).
    public static let settingsFile = "/etc/stevedore/stevedore.env"

    /// Runs every check: settings, state root, database key, admin key, Docker engine,
    /// Compose, daemon reachability, systemd mode and the unit's watchdog setting. Never
    /// throws: each problem is a failed check, and a bad setting does not stop the others
    /// (they use the defaults for what is invalid).
    ///
    /// - Parameters:
    ///   - environment: the process environment (`STEVEDORE_*`, with `--root`/`--listen`
    ///     applied); it wins over `settingsFile`.
    ///   - settingsFile: `KEY=VALUE` lines as systemd's `EnvironmentFile=` reads them; skipped
    ///     when absent or unreadable.
    public static func run(environment processEnvironment: [String: String], settingsFile: String = settingsFile) async -> [Check] {
        var checks: [Check] = []
        var environment = readSettingsFile(settingsFile)
        let fromFile = !environment.isEmpty
        environment.merge(processEnvironment) { _, process in process }
        // 0. The daemon's settings as the daemon would read them.
        let configuration: DaemonConfiguration
        do {
            configuration = try DaemonConfiguration(environment: environment)
            checks.append(
                Check(
                    name: "settings", ok: true,
                    detail: "STEVEDORE_* settings valid" + (fromFile ? " (environment and \(settingsFile))" : "")))
        } catch {
            checks.append(
                Check(
                    name: "settings", ok: false, detail: "\(error)",
                    fix: "correct it in \(settingsFile) (or the environment) and restart the daemon"))
            // Go on with the defaults for what is invalid, keeping what is valid (e.g. the root).
            var fallback = environment
            for key in DaemonConfiguration.daemonOnlyVariables + ["STEVEDORE_COMPOSE", "STEVEDORE_LISTEN_ADDR", "STEVEDORE_ROOT"] {
                if (try? DaemonConfiguration(environment: fallback)) != nil { break }
                fallback[key] = nil
            }
            configuration = (try? DaemonConfiguration(environment: fallback)) ?? (try! DaemonConfiguration(environment: [:]))
        }
        let root = configuration.root
        let fm = FileManager.default
        var isDirectory: ObjCBool = false
        // 1. State root.
        let rootExists = fm.fileExists(atPath: root.path, isDirectory: &isDirectory)
        if rootExists, !isDirectory.boolValue {
            checks.append(
                Check(
                    name: "state root", ok: false, detail: "\(root.path) is not a directory",
                    fix: "move that file away, or set STEVEDORE_ROOT to a directory"))
        } else if rootExists {
            let writable = access(root.path, W_OK) == 0
            checks.append(
                Check(
                    name: "state root", ok: writable,
                    detail: "\(root.path)\(writable ? "" : " is not writable by uid \(getuid())")",
                    fix: writable ? nil : "run as root, or fix the owner of \(root.path)"))
        } else {
            checks.append(
                Check(
                    name: "state root", ok: false, detail: "\(root.path) does not exist",
                    fix: "run `stevedore init --root \(root.path)` (or scripts/install.sh), or set STEVEDORE_ROOT"))
        }
        // 2. Database key, and whether it opens the database.
        checks.append(await databaseCheck(root: root, environment: environment))
        // 3. Admin key.
        checks.append(
            keyFileCheck(
                name: "admin key", path: root.adminKey,
                missingFix: "run `stevedore init --root \(root.path)`; the CLI needs it to talk to the daemon"))
        // 4. Docker engine.
        let docker = DockerEngine()
        do {
            let version = try await docker.ping()
            checks.append(Check(name: "docker engine", ok: true, detail: "API \(version) at \(docker.socketPath)"))
        } catch {
            checks.append(
                Check(
                    name: "docker engine", ok: false, detail: "not reachable: \(error)",
                    fix: "start dockerd (`systemctl start docker`) and check that /var/run/docker.sock is accessible to this user"))
        }
        // 4b. Docker's own copy of the deployments' output.
        checks.append(await dockerLogCheck(docker: docker, root: root))
        // 5. Compose.
        do {
            let flavor = try await ComposeRunner.detect(preferV1: configuration.preferComposeV1)
            checks.append(Check(name: "compose", ok: true, detail: flavor.description))
        } catch {
            checks.append(
                Check(
                    name: "compose", ok: false, detail: "\(error)",
                    fix: "install the Compose v2 plugin (`docker compose`) or docker-compose v1"))
        }
        // 5b. Git: the mode, and in worker mode whether the image is here.
        checks.append(await gitCheck(configuration: configuration, docker: docker))
        // 6. Daemon.
        checks.append(await daemonCheck(configuration: configuration))
        // 7-8. systemd and the watchdog.
        checks.append(contentsOf: await systemdChecks())
        return checks
    }

    /// Whether Docker keeps bounded logs for every container of this state root's deployments
    /// (projects `stevedore-<name>` for each `deployments/<name>`): `json-file`, the engine's
    /// default driver, without `max-size` grows until the disk is full, next to the log
    /// streamer's capped copy. A warning, not a failure: the host works, but will fill up.
    static func dockerLogCheck(docker: DockerEngine, root: StateRoot) async -> Check {
        let name = "docker log limits"
        let deployments = ((try? FileManager.default.contentsOfDirectory(atPath: root.path + "/deployments")) ?? []).sorted()
        var unbounded: Set<String> = []
        for deployment in deployments {
            guard let containers = try? await docker.containers(project: "stevedore-\(deployment)") else {
                return Check(name: name, ok: true, detail: "skipped: the Docker engine did not answer")
            }
            for container in containers {
                if let details = try? await docker.inspect(container: container.id), details.hasUnboundedLogs {
                    unbounded.insert("\(deployment)/\(container.service ?? container.name)")
                }
            }
        }
        guard !unbounded.isEmpty else {
            return Check(name: name, ok: true, detail: "every deployment's containers have a bounded Docker log (or there are none)")
        }
        return Check(
            name: name, ok: true,
            detail: "Docker keeps an unbounded json-file log (no max-size) for \(unbounded.sorted().joined(separator: ", "))",
            fix:
                "add under each of those services in its Compose file:  \(ContainerView.logLimitFix)  (or set log-opts max-size in /etc/docker/daemon.json for new containers)",
            warning: true)
    }

    /// `KEY=VALUE` lines of an `EnvironmentFile=` (comments, blank lines and optional quotes
    /// handled as systemd.exec(5) does for the simple cases).
    static func readSettingsFile(_ path: String) -> [String: String] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return [:] }
        var values: [String: String] = [:]
        for raw in text.split(separator: "\n") {
            let line = raw.trimmingCharacters(in: .whitespaces)
            guard !line.isEmpty, !line.hasPrefix("#"), !line.hasPrefix(";"), let eq = line.firstIndex(of: "=") else { continue }
            let key = String(line[..<eq]).trimmingCharacters(in: .whitespaces)
            var value = String(line[line.index(after: eq)...]).trimmingCharacters(in: .whitespaces)
            if value.count >= 2, let first = value.first, first == "\"" || first == "'", value.last == first {
                value = String(value.dropFirst().dropLast())
            }
            values[key] = value
        }
        return values
    }

    static func keyFileCheck(name: String, path: String, missingFix: String) -> Check {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path) else {
            return Check(name: name, ok: false, detail: "\(path) is missing", fix: missingFix)
        }
        let mode = (attributes[.posixPermissions] as? Int ?? 0) & 0o777
        guard mode & 0o077 == 0 else {
            return Check(
                name: name, ok: false, detail: "\(path) has mode \(String(mode, radix: 8)): open to group or others",
                fix: "chmod 600 \(path)")
        }
        return Check(name: name, ok: true, detail: "\(path) (mode \(String(mode, radix: 8)))")
    }

    static func databaseCheck(root: StateRoot, environment: [String: String]) async -> Check {
        let name = "database key"
        let fromEnvironment = (environment["STEVEDORE_DB_KEY"] ?? "") != "" || (environment["STEVEDORE_DB_KEY_FILE"] ?? "") != ""
        let databaseExists = FileManager.default.fileExists(atPath: root.database)
        if !fromEnvironment {
            let file = keyFileCheck(
                name: name, path: root.databaseKey,
                missingFix: databaseExists
                    ? "restore \(root.databaseKey) from your backup (a new key cannot open the existing database)"
                    : "run `stevedore init --root \(root.path)`")
            guard file.ok else { return file }
        }
        guard databaseExists else {
            return Check(name: name, ok: true, detail: "key present; no database yet (the daemon creates it)")
        }
        do {
            let key = try DatabaseKey.resolve(environment: environment, defaultFile: root.databaseKey, generate: false)
            let store = try StateStore(path: root.database, key: key)
            try await store.check()
            return Check(name: name, ok: true, detail: "opens \(root.database)")
        } catch {
            return Check(
                name: name, ok: false, detail: "\(root.database): \(error)",
                fix: "use the key this database was created with (\(root.databaseKey), STEVEDORE_DB_KEY or STEVEDORE_DB_KEY_FILE)")
        }
    }

    /// `git`: the mode (`STEVEDORE_GIT_MODE`); worker mode needs the image on the engine (the
    /// daemon would pull it, which fails offline), local mode needs `git` and `ssh` on the host.
    /// The detail ends with how remotes are checked (`STEVEDORE_GIT_CHECK`: in-process, …).
    static func gitCheck(configuration: DaemonConfiguration, docker: DockerEngine) async -> Check {
        var check = await gitModeCheck(configuration: configuration, docker: docker)
        check.detail += "; remote checks \(configuration.gitCheckMethod.rawValue)"
        return check
    }

    /// ``gitCheck(configuration:docker:)`` without the check method: the mode and what it needs.
    static func gitModeCheck(configuration: DaemonConfiguration, docker: DockerEngine) async -> Check {
        switch configuration.gitMode {
        case .worker:
            let image = configuration.gitImage
            do {
                if try await docker.imageExists(image) {
                    return Check(name: "git", ok: true, detail: "mode worker, image \(image) present")
                }
                return Check(
                    name: "git", ok: false, detail: "mode worker, image \(image) not on this host",
                    fix:
                        "`docker pull \(image)` (or scripts/build-git-image.sh and STEVEDORE_GIT_IMAGE=stevedore/git:latest), or STEVEDORE_GIT_MODE=local"
                )
            } catch {
                return Check(
                    name: "git", ok: false, detail: "mode worker, cannot ask the engine for \(image): \(error)",
                    fix: "start dockerd, or set STEVEDORE_GIT_MODE=local")
            }
        case .local:
            let path = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":")
            let missing = ["git", "ssh"].filter { tool in !path.contains { FileManager.default.isExecutableFile(atPath: "\($0)/\(tool)") } }
            return Check(
                name: "git", ok: missing.isEmpty,
                detail: "mode local"
                    + (missing.isEmpty ? " (git and ssh on the host)" : ": \(missing.joined(separator: " and ")) not found in PATH"),
                fix: missing.isEmpty ? nil : "apt-get install git openssh-client, or use the worker mode")
        }
    }

    static func daemonCheck(configuration: DaemonConfiguration) async -> Check {
        let name = "daemon"
        let url = configuration.localBaseURL
        guard let key = try? AdminKey.load(root: configuration.root, generate: false) else {
            return Check(
                name: name, ok: false, detail: "no admin key, cannot ask \(url)",
                fix: "run `stevedore init --root \(configuration.root.path)`")
        }
        do {
            let (status, data) = try await AdminClient(baseURL: url, key: key, timeout: .seconds(10)).raw(.GET, "/healthz")
            let health = try? APICoding.decoder().decode(HealthResponse.self, from: data)
            let verdict = health?.status ?? "HTTP \(status)"
            let problems = ((health?.unhealthy ?? []) + (health?.degraded ?? [])).map { "\($0.path) \($0.state)" }
            let detail = "\(url) answers: \(verdict)" + (problems.isEmpty ? "" : " (\(problems.joined(separator: ", ")))")
            let healthy = status == 200
            return Check(
                name: name, ok: healthy, detail: detail,
                fix: healthy ? nil : "see `stevedore supervisor status` and the journal (`journalctl -u stevedore`)")
        } catch {
            let detail = if case AdminClientError.daemonNotRunning = error { "nothing answers at \(url)" } else { "\(url): \(error)" }
            return Check(
                name: name, ok: false, detail: detail,
                fix: "start it: `systemctl start stevedore` (or `stevedore daemon`); check STEVEDORE_LISTEN_ADDR")
        }
    }

    static func systemdChecks() async -> [Check] {
        guard FileManager.default.fileExists(atPath: "/run/systemd/system") else {
            return [
                Check(
                    name: "systemd", ok: true,
                    detail:
                        "not running under systemd: container mode (Docker restart policy plus a HEALTHCHECK on /healthz; docs/OPERATIONS.md)"
                )
            ]
        }
        let properties = ["LoadState", "ActiveState", "SubState", "NRestarts", "WatchdogUSec", "FragmentPath"]
        guard
            let result = try? await ProcessRunner().run(
                ["systemctl", "show", "stevedore.service", "--property=" + properties.joined(separator: ",")], timeout: .seconds(10)),
            result.succeeded
        else {
            return [Check(name: "systemd", ok: false, detail: "`systemctl show stevedore` failed", fix: "check that systemctl works")]
        }
        var values: [String: String] = [:]
        for line in result.output.split(separator: "\n") {
            let parts = line.split(separator: "=", maxSplits: 1).map(String.init)
            if parts.count == 2 { values[parts[0]] = parts[1] }
        }
        guard values["LoadState"] == "loaded" else {
            return [
                Check(
                    name: "systemd", ok: false, detail: "stevedore.service is not installed (\(values["LoadState"] ?? "?"))",
                    fix: "run scripts/install.sh")
            ]
        }
        let active = values["ActiveState"] == "active"
        let unit = Check(
            name: "systemd", ok: active,
            detail:
                "stevedore.service \(values["ActiveState"] ?? "?") (\(values["SubState"] ?? "?")), restarts by systemd: \(values["NRestarts"] ?? "?")",
            fix: active ? nil : "`systemctl start stevedore`; see `journalctl -u stevedore`")
        let watchdog = values["WatchdogUSec"] ?? "0"
        let off = watchdog == "0" || watchdog == "infinity" || watchdog.isEmpty
        let watchdogCheck = Check(
            name: "watchdog", ok: !off,
            detail: off ? "WatchdogSec= is off" : "WatchdogSec=\(watchdog)",
            fix: off ? "set WatchdogSec=30s (as in systemd/stevedore.service)" : nil)
        return [unit, watchdogCheck]
    }
}
