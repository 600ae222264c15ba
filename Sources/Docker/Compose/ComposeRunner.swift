import Foundation

/// Runs Docker Compose for a project: `up -d --build --remove-orphans` and `down`, with
/// v2+ (`docker compose`) preferred and v1 (`docker-compose`) as fallback.
///
/// The version is detected from `version --short`'s output, never from an exit code
/// (some v1 builds exit 0 on unknown subcommands).
public struct ComposeRunner: Sendable {
    /// The detected implementation (``detect(preferV1:runner:)``).
    public let flavor: ComposeFlavor
    private let runner: ProcessRunner
    /// Limit for one `up` (build included) or `down`.
    public var timeout: Duration

    /// - Parameters:
    ///   - flavor: from ``detect(preferV1:runner:)``.
    ///   - runner: runs the commands (process group, timeout, scrubbed environment).
    ///   - timeout: limit for one `up` or `down`; default 900 s (builds on a Raspberry Pi are slow).
    public init(flavor: ComposeFlavor, runner: ProcessRunner = ProcessRunner(), timeout: Duration = .seconds(900)) {
        self.flavor = flavor
        self.runner = runner
        self.timeout = timeout
    }

    /// Detects the Compose implementation.
    ///
    /// - Parameter preferV1: try `docker-compose` first (tests of v1; `STEVEDORE_COMPOSE=v1`).
    /// - Throws: ``ComposeError/notInstalled(_:)``.
    public static func detect(preferV1: Bool = false, runner: ProcessRunner = ProcessRunner()) async throws -> ComposeFlavor {
        let candidates = preferV1 ? [["docker-compose"], ["docker", "compose"]] : [["docker", "compose"], ["docker-compose"]]
        var tried: [String] = []
        for command in candidates {
            // Generous: Compose v1 (Python) can take many seconds to start on a busy Raspberry Pi.
            guard let result = try? await runner.run(command + ["version", "--short"], timeout: .seconds(120)) else {
                tried.append("\(command.joined(separator: " ")): not runnable")
                continue
            }
            let version =
                result.output.split(separator: "\n").last.map(String.init)?
                .trimmingCharacters(in: .whitespaces) ?? ""
            let flavor = ComposeFlavor(command: command, version: version)
            if result.succeeded, flavor.majorVersion >= 1, version.first.map({ $0.isNumber || $0 == "v" }) == true {
                return flavor
            }
            tried.append("\(command.joined(separator: " ")): \(version.prefix(60))")
        }
        throw ComposeError.notInstalled(tried.joined(separator: "; "))
    }

    private func base(_ project: ComposeProject) -> [String] {
        flavor.command + ["--project-name", project.name, "--project-directory", project.directory, "--file", project.file]
    }

    private func environment(_ project: ComposeProject) -> [String: String] {
        ProcessRunner.childEnvironment(extra: project.environment)
    }

    /// `up -d --build --remove-orphans`.
    ///
    /// - Throws: ``ProcessError`` with the output's tail (build errors) on failure.
    @discardableResult
    public func up(_ project: ComposeProject, onLine: (@Sendable (String) -> Void)? = nil) async throws -> ProcessResult {
        try await runner.runChecked(
            base(project) + ["up", "-d", "--build", "--remove-orphans"],
            environment: environment(project), workingDirectory: project.directory,
            timeout: timeout, onLine: onLine)
    }

    /// `config`: the resolved configuration (YAML) with the project's environment, exactly as
    /// `up` would interpolate it. Standard output goes to a temporary file (the whole of it,
    /// without the warnings Compose prints on standard error); the command line is still a
    /// vector (`sh -c 'exec "$@" >FILE'`).
    ///
    /// - Throws: ``ProcessError`` (e.g. a `${VAR:?message}` without a value, a syntax error).
    public func config(_ project: ComposeProject) async throws -> String {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("stevedore-config-\(UUID().uuidString).yaml").path
        defer { try? FileManager.default.removeItem(atPath: file) }
        _ = try await runner.runChecked(
            ["/bin/sh", "-c", "out=$1; shift; exec \"$@\" >\"$out\"", "sh", file] + base(project) + ["config"],
            environment: environment(project), workingDirectory: project.directory,
            timeout: .seconds(120))
        return try String(contentsOfFile: file, encoding: .utf8)
    }

    /// `down --remove-orphans` (volumes are kept).
    ///
    /// - Throws: ``ProcessError`` on failure.
    @discardableResult
    public func down(_ project: ComposeProject) async throws -> ProcessResult {
        try await runner.runChecked(
            base(project) + ["down", "--remove-orphans"],
            environment: environment(project), workingDirectory: project.directory,
            timeout: timeout)
    }

    /// `down` by project name alone, for a deployment whose checkout is gone: Compose v2
    /// accepts it; v1 needs a file, so an empty one is used.
    public func down(projectName: String) async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("stevedore-down-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let file = dir + "/docker-compose.yml"
        try "services: {}\n".write(toFile: file, atomically: true, encoding: .utf8)
        let project = ComposeProject(name: projectName, directory: dir, file: file, environment: [:])
        try await down(project)
    }
}
