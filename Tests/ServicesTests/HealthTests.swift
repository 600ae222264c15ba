import Testing

@testable import Services
@testable import Supervision

@Suite struct HealthTests {
    func view(_ name: String, _ state: String, _ health: String? = nil) -> ContainerView {
        ContainerView(name: name, service: "web", state: state, health: health)
    }

    @Test func deploymentHealthRules() {
        #expect(DeploymentHealth.classify([]).state == "down")
        #expect(DeploymentHealth.classify([view("a", "running"), view("b", "running", "healthy")]).state == "healthy")
        #expect(DeploymentHealth.classify([view("a", "running", "starting")]).state == "starting")
        let bad = DeploymentHealth.classify([view("a", "exited"), view("b", "running", "unhealthy")])
        #expect(bad.state == "unhealthy")
        #expect(bad.detail == "a is exited; b is unhealthy")
        // A service of the running commit without any container (removed by hand): unhealthy.
        let missing = DeploymentHealth.classify([view("a", "running")], missing: ["db"])
        #expect(missing.state == "unhealthy")
        #expect(missing.detail == "service db has no container")
    }

    func node(_ path: String, _ state: NodeState, children: [NodeStatus] = []) -> NodeStatus {
        NodeStatus(
            path: path, id: path.split(separator: "/").last.map(String.init) ?? "root", type: .worker, restart: .permanent,
            state: state, reason: nil, status: nil, restartsInWindow: 0, restartsTotal: 0, lastExit: nil,
            uptimeSeconds: nil, nextRestartInSeconds: nil, lastHeartbeatAgeSeconds: nil, children: children)
    }

    @Test func treeHealthRollsUp() {
        let ok = HealthResponse.from(tree: node("", .running, children: [node("store", .running)]), version: "x")
        #expect(ok.status == "ok")
        let degraded = HealthResponse.from(tree: node("", .running, children: [node("deployments/a/poller", .degraded)]), version: "x")
        #expect(degraded.status == "degraded")
        #expect(degraded.degraded.map(\.path) == ["deployments/a/poller"])
        let stuck = HealthResponse.from(tree: node("", .running, children: [node("http", .stuck)]), version: "x")
        #expect(stuck.status == "unhealthy")
        #expect(HealthResponse.from(tree: node("", .failed), version: "x").status == "unhealthy")
    }
}

@Suite struct DeploymentLocksTests {
    @Test func operationsOnOneDeploymentNeverOverlap() async throws {
        let locks = DeploymentLocks()
        let counter = Counter()
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<20 {
                group.addTask {
                    try? await locks.withLock("a") {
                        await counter.enter()
                        await Task.yield()
                        await counter.leave()
                    }
                }
            }
        }
        #expect(await counter.maxConcurrent == 1)
        #expect(await counter.total == 20)
    }

    /// Reported by a fresh-user trial: at shutdown during a long deploy the reconciler, waiting
    /// for the deployment's lock, ignored cancellation and was reported `stuck`.
    @Test func aWaiterThatIsCancelledLeavesTheQueue() async throws {
        let locks = DeploymentLocks()
        let release = AsyncStream<Void>.makeStream()
        let holder = Task {
            try await locks.withLock("a") { for await _ in release.stream { break } }
        }
        while !(await locks.isHeld("a")) { await Task.yield() }
        let waiter = Task { try await locks.withLock("a") { "ran" } }
        while await locks.waiting("a") == 0 { await Task.yield() }
        waiter.cancel()
        await #expect(throws: CancellationError.self) { try await waiter.value }
        #expect(await locks.waiting("a") == 0)
        // The lock still works: the holder releases it, the next caller gets it.
        release.continuation.yield()
        try await holder.value
        #expect(try await locks.withLock("a") { "next" } == "next")
    }

    actor Counter {
        var current = 0, maxConcurrent = 0, total = 0
        func enter() {
            current += 1
            total += 1
            maxConcurrent = max(maxConcurrent, current)
        }
        func leave() { current -= 1 }
    }
}
