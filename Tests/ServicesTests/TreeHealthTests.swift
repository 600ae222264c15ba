import Foundation
import Store
import Testing

@testable import Services
@testable import Supervision

/// What makes the systemd watchdog stop pinging (unhealthy) and what does not (degraded).
@Suite struct TreeHealthTests {
    func node(
        _ path: String, _ state: NodeState, type: ChildType = .worker, heartbeatAge: Double? = nil,
        restarts: Int = 0, children: [NodeStatus] = []
    ) -> NodeStatus {
        NodeStatus(
            path: path, id: path.split(separator: "/").last.map(String.init) ?? "root", type: type,
            restart: path.isEmpty ? nil : .permanent, state: state, reason: nil, status: nil,
            restartsInWindow: 0, restartsTotal: restarts, lastExit: nil, uptimeSeconds: nil,
            nextRestartInSeconds: nil, lastHeartbeatAgeSeconds: heartbeatAge, children: children)
    }

    func tree(_ children: [NodeStatus], state: NodeState = .running) -> NodeStatus {
        node("", state, type: .supervisor, children: children)
    }

    var healthyChildren: [NodeStatus] {
        [
            node("store", .running, heartbeatAge: 1), node("http", .running, heartbeatAge: 1),
            node(
                "deployments", .running, type: .supervisor,
                children: [
                    node("deployments/a", .running, type: .supervisor, children: [node("deployments/a/poller", .running, heartbeatAge: 1)])
                ]),
            node("health-watchdog", .running, heartbeatAge: 0),
        ]
    }

    /// A subtree that gave up and waits for its revival is degraded, not unhealthy, although
    /// the child that made it give up is still listed `failed` below it; a `stuck` node there
    /// still counts (its task runs).
    @Test func aSubtreeWaitingForItsRevivalIsDegradedAndItsLeftoversAreNotJudged() {
        let waiting = node(
            "deployments/b", .backoff, type: .supervisor,
            children: [node("deployments/b/poller", .failed), node("deployments/b/reconciler", .stopped)])
        var children = healthyChildren
        children[2].children.append(waiting)
        var snapshot = tree(children)
        let health = TreeHealth.assess(snapshot, staleHeartbeatSeconds: 120)
        #expect(health.level == .degraded)
        #expect(health.unhealthy.isEmpty)
        #expect(health.degraded.map(\.path) == ["deployments/b"])
        snapshot.fillHealth()
        // Found in the issue 11 trial: the failed poller's own `health` read "unhealthy".
        #expect(snapshot.find(path: "deployments/b/poller")?.rolledUpHealth == "degraded")
        #expect(snapshot.rolledUpHealth == "degraded")

        children[2].children[1].children[1] = node("deployments/b/reconciler", .stuck)
        #expect(TreeHealth.assess(tree(children), staleHeartbeatSeconds: 120).level == .unhealthy)
    }

    @Test func allRunningIsOK() {
        let health = TreeHealth.assess(tree(healthyChildren), staleHeartbeatSeconds: 120)
        #expect(health.level == .ok)
        #expect(health.unhealthy.isEmpty && health.degraded.isEmpty)
    }

    @Test func degradedDeepInTheTreeKeepsThePingsGoing() {
        var children = healthyChildren
        children[2].children[0].children[0].state = .degraded
        children[2].children[0].children[0].reason = "git remote unreachable"
        let health = TreeHealth.assess(tree(children), staleHeartbeatSeconds: 120)
        #expect(health.level == .degraded)
        #expect(health.degraded.map(\.path) == ["deployments/a/poller"])
        #expect(health.degraded.first?.reason == "git remote unreachable")
    }

    @Test func backoffAndHungAreDegradedNotUnhealthy() {
        var children = healthyChildren
        children[0].state = .backoff
        children[1].state = .hung
        #expect(TreeHealth.assess(tree(children), staleHeartbeatSeconds: 120).level == .degraded)
    }

    @Test func stuckAnywhereIsUnhealthy() {
        var children = healthyChildren
        children[2].children[0].children[0].state = .stuck
        let health = TreeHealth.assess(tree(children), staleHeartbeatSeconds: 120)
        #expect(health.level == .unhealthy)
        #expect(health.unhealthy.map(\.path) == ["deployments/a/poller"])
    }

    @Test func failedCriticalChildOrStoppedRootIsUnhealthy() {
        var children = healthyChildren
        children[0].state = .failed
        #expect(TreeHealth.assess(tree(children), staleHeartbeatSeconds: 120).level == .unhealthy)
        // A failed node deeper down: its supervisor is giving up (the level-by-level snapshot
        // can still show that supervisor running; found in a full run of the revival test).
        // Its parent restarts or revives it: degraded, never a reason to restart the daemon.
        var deep = healthyChildren
        deep[2].children[0].children[0].state = .failed
        let health = TreeHealth.assess(tree(deep), staleHeartbeatSeconds: 120)
        #expect(health.level == .degraded)
        #expect(health.degraded.map(\.path) == ["deployments/a/poller"])
        let stopped = TreeHealth.assess(tree(healthyChildren, state: .stopped), staleHeartbeatSeconds: 120)
        #expect(stopped.unhealthy.first?.path == "root")
    }

    @Test func criticalChildWithAStaleHeartbeatIsUnhealthy() {
        var children = healthyChildren
        children[0].lastHeartbeatAgeSeconds = 121
        let health = TreeHealth.assess(tree(children), staleHeartbeatSeconds: 120)
        #expect(health.level == .unhealthy)
        #expect(health.unhealthy.first?.reason?.contains("no heartbeat for 121 s") == true)
        // Below the root, a stale heartbeat is the supervisor's business (liveness), not the watchdog's.
        var deep = healthyChildren
        deep[2].children[0].children[0].lastHeartbeatAgeSeconds = 500
        #expect(TreeHealth.assess(tree(deep), staleHeartbeatSeconds: 120).level == .ok)
        #expect(TreeHealth.assess(tree(children), staleHeartbeatSeconds: nil).level == .ok)
    }

    @Test func criticalChildStoppedByAnOperatorIsDegraded() {
        var children = healthyChildren
        children[0].state = .stopped
        let health = TreeHealth.assess(tree(children), staleHeartbeatSeconds: 120)
        #expect(health.level == .degraded)
        #expect(health.degraded.map(\.path) == ["store"])
    }

    @Test func statusLineSummarisesWithoutClockValues() {
        #expect(
            TreeHealth.statusLine(tree(healthyChildren), staleHeartbeatSeconds: 120)
                == "ok: 4/4 subsystems running; 1 deployment (1 ok); 0 restarts")
        var children = healthyChildren
        children[0].state = .stuck
        children[0].reason = "did not end"
        children[1].restartsTotal = 2
        #expect(
            TreeHealth.statusLine(tree(children), staleHeartbeatSeconds: 120)
                == "unhealthy: 3/4 subsystems running; 1 deployment (1 ok); 2 restarts; store stuck: did not end")
    }
}

/// Fault injection is off unless asked for, and names the running workers when the path is wrong.
@Suite struct FaultInjectorTests {
    @Test func disabledInjectorLeavesSpecsUntouchedAndRefuses() {
        let injector = FaultInjector(enabled: false, logger: .init(label: "test"))
        #expect(throws: FaultInjectionError.self) { try injector.inject(.throw, at: "store") }
        #expect(FaultInjectionError.disabled.description.contains("STEVEDORE_FAULT_INJECTION=1"))
    }

    @Test func injectedThrowEndsTheIncarnationAndTheSupervisorRestartsIt() async throws {
        let (injector, starts, supervisor) = injectable(SupervisorConfiguration(backoff: .none))
        let run = Task { try await supervisor.run() }
        defer { run.cancel() }
        try await eventuallyTrue { injector.injectablePaths == ["w"] }
        #expect(throws: FaultInjectionError.self) { try injector.inject(.hang, at: "nope") }
        do {
            try injector.inject(.hang, at: "nope")
        } catch let FaultInjectionError.notInjectable(_, injectable) {
            #expect(injectable == ["w"])
        }
        try injector.inject(.throw, at: "w")
        try await eventuallyTrue { await starts.count == 2 }
        let node = await supervisor.status().find(path: "w")
        #expect(node?.lastExit?.contains("injected fault: throw at w") == true)
        #expect(node?.restartsTotal == 1)
    }

    /// A crash loop fails every start until `clear`; removing a deployment ends the crash
    /// loops under it (found in the issue 11 trial: a re-added deployment inherited one).
    @Test func crashLoopFailsEveryStartUntilClearedOrRemoved() async throws {
        let (injector, starts, supervisor) = injectable(
            SupervisorConfiguration(
                intensity: RestartIntensity(maxRestarts: 1000, period: .seconds(60)),
                backoff: BackoffPolicy(initial: .milliseconds(5), maximum: .milliseconds(5), jitter: 0)))
        let run = Task { try await supervisor.run() }
        defer { run.cancel() }
        try await eventuallyTrue { injector.injectablePaths == ["w"] }
        try injector.inject(.crashLoop, at: "w")
        #expect(injector.crashLoopPaths == ["w"])
        try await eventuallyTrue { (await supervisor.status().find(path: "w")?.restartsTotal ?? 0) >= 3 }
        #expect(await starts.count == 1)  // the real body never ran again
        try injector.inject(.clear, at: "w")
        try await eventuallyTrue { await starts.count == 2 }
        #expect(throws: FaultInjectionError.self) { try injector.inject(.clear, at: "w") }

        try injector.inject(.crashLoop, at: "w")
        injector.clearCrashLoops(under: "deployments/x")
        #expect(injector.crashLoopPaths == ["w"])
        injector.clearCrashLoops(under: "w")
        #expect(injector.crashLoopPaths.isEmpty)
    }

    /// An enabled injector, and a root with one wrapped worker `w` that counts its starts
    /// and idles.
    func injectable(_ configuration: SupervisorConfiguration) -> (FaultInjector, Starts, Supervisor) {
        let injector = FaultInjector(enabled: true, logger: .init(label: "test"))
        let starts = Starts()
        let spec = injector.wrap(
            .worker("w") { _ in
                await starts.add()
                while true { try await Task.sleep(for: .seconds(3600)) }
            })
        return (injector, starts, Supervisor(id: "root", configuration: configuration, logger: .init(label: "test"), children: [spec]))
    }

    actor Starts {
        var count = 0
        func add() { count += 1 }
    }

    func eventuallyTrue(_ condition: () async throws -> Bool) async throws {
        for _ in 0..<2000 {
            if try await condition() { return }
            try await Task.sleep(for: .milliseconds(5))
        }
        Issue.record("condition never held")
    }
}

/// The deployment's degraded children as `status` and the API show them.
@Suite struct DeploymentViewDegradedTests {
    func make(_ poller: NodeState) throws -> (DeploymentView, String) {
        let helper = TreeHealthTests()
        let subtree = helper.node(
            "deployments/a", .running, type: .supervisor,
            children: [helper.node("deployments/a/poller", poller), helper.node("deployments/a/reconciler", .running)])
        let record = DeploymentRecord(name: "a", url: "/srv/a.git", branch: "main", pollIntervalSeconds: 30, createdAt: 0)
        let view = DeploymentView(
            record: record, status: DeploymentStatusRecord(name: "a"), health: DeploymentHealth.classify([]), subtree: subtree)
        let json = String(decoding: try APICoding.encoder().encode(view), as: UTF8.self)
        return (view, json)
    }

    /// All well: the field is left out, as every optional field without a value
    /// (docs/API.md); it was `"degraded": []`, which the state-disk drills read as degraded.
    @Test func noDegradedChildLeavesTheFieldOut() throws {
        let (view, json) = try make(.running)
        #expect(view.degraded == nil)
        #expect(!json.contains("\"degraded\""), "\(json)")
        let (degraded, degradedJSON) = try make(.degraded)
        #expect(degraded.degraded?.map(\.path) == ["deployments/a/poller"])
        #expect(degradedJSON.contains("\"degraded\""))
    }
}
