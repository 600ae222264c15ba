import Docker

/// The health of a deployment's containers.
public struct DeploymentHealth: Codable, Sendable, Equatable {
    /// - `healthy`: at least one container, all running (or one-shot and completed), every
    ///   healthcheck passing;
    /// - `starting`: all running, some healthcheck still starting;
    /// - `unhealthy`: some container not running or failing its healthcheck;
    /// - `down`: no containers;
    /// - `unknown`: the Docker engine did not answer.
    public var state: String
    /// Every container of the project, by name.
    public var containers: [ContainerView]
    /// Why, when not healthy.
    public var detail: String?

    /// Computes health from the engine's view of project `project`; services in `expected`
    /// without any container make it unhealthy.
    public static func inspect(project: String, docker: DockerEngine, expected: Set<String>? = nil) async -> DeploymentHealth {
        let summaries: [ContainerSummary]
        do {
            summaries = try await docker.containers(project: project)
        } catch {
            return DeploymentHealth(state: "unknown", containers: [], detail: String(describing: error))
        }
        var views: [ContainerView] = []
        for summary in summaries.sorted(by: { $0.name < $1.name }) {
            let details = try? await docker.inspect(container: summary.id)
            views.append(
                ContainerView(
                    name: summary.name, service: summary.service, state: summary.state,
                    health: summary.state == "running" ? details?.state.health?.status : nil,
                    completed: details?.hasCompleted ?? false, unboundedLogs: details?.hasUnboundedLogs ?? false))
        }
        let missing = (expected ?? []).subtracting(views.compactMap(\.service)).sorted()
        return classify(views, missing: views.isEmpty ? [] : missing)
    }

    /// The rule above, on container views (pure; unit-tested).
    public static func classify(_ views: [ContainerView], missing: [String] = []) -> DeploymentHealth {
        guard !views.isEmpty else { return DeploymentHealth(state: "down", containers: [], detail: "no containers") }
        let notRunning = views.filter { $0.state != "running" && !$0.completed }
        let unhealthy = views.filter { $0.health == "unhealthy" }
        if !notRunning.isEmpty || !unhealthy.isEmpty || !missing.isEmpty {
            let parts =
                missing.map { "service \($0) has no container" } + notRunning.map { "\($0.name) is \($0.state)" }
                + unhealthy.map { "\($0.name) is unhealthy" }
            return DeploymentHealth(state: "unhealthy", containers: views, detail: parts.joined(separator: "; "))
        }
        let starting = views.filter { $0.health == "starting" }
        if !starting.isEmpty {
            return DeploymentHealth(
                state: "starting", containers: views,
                detail: "healthcheck starting: " + starting.map(\.name).joined(separator: ", "))
        }
        return DeploymentHealth(state: "healthy", containers: views, detail: nil)
    }
}
