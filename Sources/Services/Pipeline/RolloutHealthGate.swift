import Docker
import Foundation

/// The health gate of a rollout: after `compose up`, waits until every container of the
/// project runs and, where it has a healthcheck, is `healthy` — read through the Engine API
/// (container inspection every ``pollInterval``), so it works with Compose v1 and v2 alike
/// (`compose up --wait` exists only in v2).
///
/// A container without a healthcheck counts as ready once it has kept the same start time and
/// restart count over two observations at least ``stableFor`` apart, so a container that
/// crash-loops under a restart policy is not mistaken for a running one.
public struct RolloutHealthGate: Sendable {
    /// One container as the gate sees it.
    public struct Observation: Sendable, Equatable {
        /// Compose service (or the container name if the label is missing).
        public var service: String
        /// Container name.
        public var name: String
        /// Docker state (`running`, `restarting`, `exited`, …).
        public var state: String
        /// Healthcheck status, `nil` without a healthcheck.
        public var health: String?
        /// Exit code of the last run.
        public var exitCode: Int
        /// `State.StartedAt` (changes with every restart).
        public var startedAt: String
        /// `RestartCount`.
        public var restartCount: Int
        /// A one-shot container that completed (exit 0, no restart policy).
        public var completed: Bool
        /// Whether the restart policy would run it again after it exits (cleared for an
        /// `exited` container by ``withoutRestartHope(_:)`` unless the engine was away).
        public var willRestart: Bool
        /// The last healthcheck probe's output, trimmed.
        public var lastProbeOutput: String?

        /// An observation with the given fields (tests build them directly).
        public init(
            service: String, name: String, state: String, health: String? = nil, exitCode: Int = 0,
            startedAt: String = "", restartCount: Int = 0, completed: Bool = false, willRestart: Bool = true,
            lastProbeOutput: String? = nil
        ) {
            self.service = service
            self.name = name
            self.state = state
            self.health = health
            self.exitCode = exitCode
            self.startedAt = startedAt
            self.restartCount = restartCount
            self.completed = completed
            self.willRestart = willRestart
            self.lastProbeOutput = lastProbeOutput
        }
    }

    /// What one look at the containers says.
    public enum Verdict: Sendable, Equatable {
        /// Everything runs and is healthy (and stable since the previous look).
        case ready
        /// Not yet: the services waited for (only those; empty before any container exists)
        /// and what is waited for.
        case waiting(services: [String], reason: String)
        /// It will not get better: the services and why.
        case failed(services: [String], reason: String)
    }

    /// The outcome of ``wait(project:timeout:)``.
    public enum Result: Sendable, Equatable {
        /// All services running and healthy.
        case healthy
        /// A container failed, or the timeout passed first.
        case unhealthy(services: [String], reason: String)
        /// The Docker engine stopped answering during the wait and the gate could not pass
        /// (it is still away, or the containers did not recover in time after it came back):
        /// the engine's fault, not the commit's. The text says what was seen.
        case engineUnavailable(String)
    }

    /// The Engine API client.
    public var docker: DockerEngine
    /// Time between looks; default 0.5 s.
    public var pollInterval: Duration = .milliseconds(500)
    /// How long a container without healthcheck must keep running unchanged; default 1 s.
    public var stableFor: Duration = .seconds(1)

    /// A gate reading `docker`.
    public init(docker: DockerEngine) { self.docker = docker }

    /// The rule above on one look (`previous`: the look at least ``stableFor`` earlier, if
    /// any). Pure; unit-tested.
    ///
    /// A container that is no longer running is judged by how it exited, not by its health:
    /// Docker marks an exited container's health `unhealthy`, which would hide that it was
    /// stopped (e.g. status 143, SIGTERM, from outside).
    public static func verdict(_ current: [Observation], previous: [Observation]?) -> Verdict {
        guard !current.isEmpty else { return .waiting(services: [], reason: "no containers yet") }
        let dead = current.filter { !$0.completed && ($0.state == "dead" || ($0.state == "exited" && !$0.willRestart)) }
        if !dead.isEmpty {
            return .failed(
                services: services(dead),
                reason: dead.map { "\($0.service) \(exitDescription($0)) during the health gate" }.joined(separator: "; "))
        }
        let unhealthy = current.filter { $0.health == "unhealthy" && $0.state == "running" }
        if !unhealthy.isEmpty {
            return .failed(
                services: services(unhealthy),
                reason: unhealthy.map { c in
                    "\(c.service) is unhealthy" + (c.lastProbeOutput.map { " (last probe: \($0.prefix(300)))" } ?? "")
                }.joined(separator: "; "))
        }
        let notRunning = current.filter { $0.state != "running" && !$0.completed }
        if !notRunning.isEmpty {
            return .waiting(
                services: services(notRunning),
                reason: notRunning.map { c in
                    c.state == "exited"
                        ? "\(c.service) \(exitDescription(c)) (its restart policy restarts it)" : "\(c.service) is \(c.state)"
                }.joined(separator: "; "))
        }
        let starting = current.filter { $0.health == "starting" }
        if !starting.isEmpty {
            return .waiting(
                services: services(starting), reason: starting.map { "\($0.service) healthcheck starting" }.joined(separator: "; "))
        }
        // Without a healthcheck: the same run as in the earlier look.
        let unchecked = current.filter { $0.health == nil && !$0.completed }
        if !unchecked.isEmpty {
            guard let previous else { return .waiting(services: services(unchecked), reason: stayUpCheck) }
            let moved = unchecked.filter { c in
                !previous.contains {
                    $0.name == c.name && $0.startedAt == c.startedAt && $0.restartCount == c.restartCount && $0.state == "running"
                }
            }
            if !moved.isEmpty {
                return .waiting(
                    services: services(moved), reason: moved.map { "\($0.service) (re)started recently" }.joined(separator: "; "))
            }
        }
        return .ready
    }

    /// The look with ``Observation/willRestart`` cleared for exited containers: Docker shows a
    /// container it is going to restart as `restarting` (its restart manager sets that state at
    /// the exit, before the backoff delay), so one that is `exited` stays so whatever its
    /// policy says: `docker stop` from outside (Docker does not restart a container stopped by
    /// hand, `unless-stopped` or `always`). A trial saw the gate wait out its whole timeout for
    /// such a container, saying "its restart policy restarts it". Not applied after the engine
    /// came back during the gate: a restarted dockerd leaves containers `exited` until it gets
    /// to them (or forever, after a SIGKILL), and the gate starts those itself.
    public static func withoutRestartHope(_ observations: [Observation]) -> [Observation] {
        observations.map { c in
            var c = c
            if c.state == "exited" { c.willRestart = false }
            return c
        }
    }

    /// The waiting reason of a look that has no earlier look to compare with.
    static let stayUpCheck = "checking that the containers stay up"

    /// `exited with status 143 (SIGTERM)`: a status above 128 is 128 + the signal that ended
    /// the main process (the shell convention Docker follows).
    static func exitDescription(_ c: Observation) -> String {
        let status = c.exitCode
        var text = "exited with status \(status)"
        if status > 128, status < 160, let name = signalName(Int32(status - 128)) { text += " (\(name))" }
        return text
    }

    /// The conventional name of signal `number` (Linux numbering), `nil` for others.
    static func signalName(_ number: Int32) -> String? {
        let names: [Int32: String] = [
            1: "SIGHUP", 2: "SIGINT", 3: "SIGQUIT", 4: "SIGILL", 5: "SIGTRAP", 6: "SIGABRT", 7: "SIGBUS", 8: "SIGFPE",
            9: "SIGKILL", 10: "SIGUSR1", 11: "SIGSEGV", 12: "SIGUSR2", 13: "SIGPIPE", 14: "SIGALRM", 15: "SIGTERM",
        ]
        return names[number]
    }

    private static func services(_ observations: [Observation]) -> [String] {
        Array(Set(observations.map(\.service))).sorted()
    }

    /// Looks at the project's containers until ``verdict(_:previous:)`` is ready or failed,
    /// or `timeout` passes.
    ///
    /// When the engine stops answering, the wait goes on; once it answers again the deadline
    /// is moved to a whole `timeout` from then (at most 3 times), as the engine restarts the
    /// containers it stopped.
    ///
    /// - Returns: ``Result/healthy``, ``Result/unhealthy(services:reason:)`` (after the
    ///   timeout: only the services still waited for in the last look, never one that was
    ///   ready), or ``Result/engineUnavailable(_:)`` when the engine was away during the
    ///   wait and the gate did not pass.
    /// - Throws: `CancellationError`; Engine API errors only if the engine never answers
    ///   before the timeout (then reported as unhealthy with the error).
    public func wait(project: String, timeout: Duration) async throws -> Result {
        let clock = ContinuousClock()
        var deadline = clock.now + timeout
        var previous: (at: ContinuousClock.Instant, observations: [Observation])?
        var lastWaiting = "no answer from the Docker engine"
        var waitingFor: [String] = []
        var engineAway: String?
        var engineReturns = 0
        while true {
            try Task.checkCancellation()
            let now = clock.now
            do {
                var current = try await observe(project: project)
                if engineReturns == 0, engineAway == nil { current = Self.withoutRestartHope(current) }
                if engineAway != nil, engineReturns < 3, !Task.isCancelled {
                    engineReturns += 1
                    deadline = max(deadline, now + timeout)
                    previous = nil
                    engineAway = nil
                    // An engine that was killed does not always restart the containers its
                    // restart policy covers (found in a trial: they stayed exited with 143
                    // until the next run); the gate starts them, as the policy would.
                    for c in current where c.state == "exited" && c.willRestart && !c.completed {
                        try? await docker.start(container: c.name)
                    }
                }
                let due = previous.map { now - $0.at >= stableFor } ?? true
                let earlier = due ? previous?.observations : nil
                switch Self.verdict(current, previous: earlier) {
                case .ready: return .healthy
                case .failed(let services, let reason):
                    if engineReturns > 0 || engineAway != nil {
                        return .engineUnavailable("the Docker engine was away during the health gate; then: \(reason)")
                    }
                    return .unhealthy(services: services, reason: reason)
                case .waiting(let services, let why):
                    lastWaiting = why
                    // A look too soon after the previous one cannot tell which containers
                    // stayed up; the last look that could names them.
                    if due || why != Self.stayUpCheck { waitingFor = services }
                }
                if due { previous = (now, current) }
            } catch is CancellationError {
                throw CancellationError()
            } catch {
                lastWaiting = "Docker engine: \(error)"
                engineAway = String(describing: error).prefix(300).description
            }
            if clock.now >= deadline {
                if let engineAway {
                    return .engineUnavailable("the Docker engine did not answer at the end of the health gate (\(engineAway))")
                }
                if engineReturns > 0 {
                    return .engineUnavailable(
                        "the Docker engine was away during the health gate; not running and healthy within \(timeout.components.seconds) s of its return: \(lastWaiting)"
                    )
                }
                return .unhealthy(
                    services: waitingFor, reason: "not running and healthy within \(timeout.components.seconds) s: \(lastWaiting)")
            }
            try await Task.sleep(for: pollInterval)
        }
    }

    /// The project's containers, inspected.
    func observe(project: String) async throws -> [Observation] {
        var result: [Observation] = []
        for summary in try await docker.containers(project: project) where summary.labels["com.docker.compose.oneoff"] != "True" {
            let details = try await docker.inspect(container: summary.id)
            let policy = details.hostConfig?.restartPolicy?.name ?? ""
            let probe = details.state.health?.log?.last?.output?.trimmingCharacters(in: .whitespacesAndNewlines)
            result.append(
                Observation(
                    service: summary.service ?? summary.name, name: summary.name, state: details.state.status,
                    health: details.state.health?.status, exitCode: details.state.exitCode,
                    startedAt: details.state.startedAt ?? "", restartCount: details.restartCount ?? 0,
                    completed: details.hasCompleted,
                    willRestart: policy == "always" || policy == "unless-stopped"
                        || (policy == "on-failure" && details.state.exitCode != 0),
                    lastProbeOutput: probe?.isEmpty == false ? probe : nil))
        }
        return result
    }
}
