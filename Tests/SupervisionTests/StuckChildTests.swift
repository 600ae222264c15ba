import Testing

@testable import Supervision

/// A stuck child (it ignored cancellation) stays stuck while its task runs — across a restart
/// of its supervisor — is never started beside itself, refuses stop/start, and is restarted if
/// its task ever ends after a repair was asked for. Reported by a fresh-user trial: restarting
/// `deployments/NAME` made a stuck poller look `stopped`, /healthz said ok, and polling stopped.
@Suite struct StuckChildTests {
    /// First incarnation ignores cancellation until `latch` opens; later ones idle normally.
    func deaf(_ probe: Probe, _ latch: Latch, liveness: Duration? = nil) -> ChildSpec {
        .worker("deaf", shutdown: .timeout(.seconds(1)), liveness: liveness) { _ in
            probe.record("start deaf")
            if probe.count("start deaf") == 1 {
                await latch.wait()
                return
            }
            try await idle()
        }
    }

    @Test func hungThenStuckChildIsRestartedWhenItsTaskFinallyEnds() async throws {
        let probe = Probe()
        let latch = Latch()
        let clock = ManualClock()
        let sup = Supervisor(
            id: "root", configuration: config(), clock: clock, logger: quiet,
            children: [deaf(probe, latch, liveness: .seconds(10))])
        try await withRunning(sup, rethrowingItsEnd: false) {
            try await waitCount(probe, "start deaf")
            await clock.waitForSleepers(1)  // the liveness timer
            clock.advance(by: .seconds(10))  // hung → cancelled, ignored
            await clock.waitForSleepers(1)  // the shutdown timeout
            clock.advance(by: .seconds(1))  // → stuck
            try await eventually("stuck") { await sup.status().find(path: "deaf")?.state == .stuck }
            #expect(probe.count("start deaf") == 1)  // never beside itself
            latch.open()  // the abandoned task ends after all
            try await eventually("restarted") { probe.count("start deaf") == 2 }
            try await eventually("running") { await sup.status().find(path: "deaf")?.state == .running }
            let node = await sup.status().find(path: "deaf")
            #expect(node?.restartsTotal == 1)
            #expect(node?.lastExit?.hasPrefix("hung:") == true)
        }
    }

    @Test func restartingTheParentKeepsAStuckChildStuckAndStartsItOnlyOnceItEnds() async throws {
        let probe = Probe()
        let latch = Latch()
        let clock = ManualClock()
        let sub = Supervisor(id: "sub", configuration: config(), clock: clock, logger: quiet, children: [deaf(probe, latch)])
        let root = Supervisor(id: "root", configuration: config(), clock: clock, logger: quiet, children: [.supervisor(sub)])
        let run = Task { try await root.run() }
        try await waitCount(probe, "start deaf")
        // Operator stop: cancellation ignored → stuck, and the stop says so.
        let stop = Task { try await root.stop(path: "sub/deaf", by: "test") }
        await clock.waitForSleepers(1)
        clock.advance(by: .seconds(1))
        await #expect(throws: SupervisorError.stuck("deaf")) { try await stop.value }
        // Restart the parent: its stop abandons the stuck child again, its new run must not
        // forget it nor start a second instance.
        let restart = Task { try await root.restart(path: "sub", by: "test") }
        await clock.waitForSleepers(1)
        clock.advance(by: .seconds(1))
        try await restart.value
        try await eventually("sub running") { await root.status().find(path: "sub")?.state == .running }
        let tree = await root.status()
        #expect(tree.find(path: "sub/deaf")?.state == .stuck)
        #expect(tree.health == "unhealthy")
        #expect(probe.count("start deaf") == 1)
        // A start of a stuck child is refused (as its stop was, above).
        await #expect(throws: SupervisorError.stuck("deaf")) { try await root.start(path: "sub/deaf", by: "test") }
        // When the abandoned task ends, the running supervisor starts its permanent child.
        latch.open()
        try await eventually("restarted") { probe.count("start deaf") == 2 }
        try await eventually("running") { await root.status().find(path: "sub/deaf")?.state == .running }
        #expect(await root.status().health == "ok")
        run.cancel()
        _ = try? await run.value
    }

    /// Found in the issue 3 trial (was `ReportedSupervisionFaultsTests.T3_stuckSiblingStaysStuckAfterTheGroupRestart`).
    @Test func stuckSiblingStaysStuckAfterTheGroupRestart() async throws {
        let probe = Probe()
        let clock = ManualClock()
        let latch = Latch()
        let sup = Supervisor(
            id: "root", configuration: config(strategy: .oneForAll), clock: clock, logger: quiet,
            children: [
                .worker("deaf", shutdown: .timeout(.seconds(1))) { _ in
                    probe.record("start deaf")
                    await latch.wait()
                },
                w3("b", probe),
            ])
        try await withRunning(sup, rethrowingItsEnd: false) {
            try await waitCount(probe, "start b")
            probe.record("go b")
            await clock.waitForSleepers(1)
            clock.advance(by: .seconds(1))  // cancellation ignored for 1 s: stuck
            try await waitCount(probe, "start b", 2)
            try await eventually { await sup.isSettled() }
            let tree = await sup.status()
            #expect(tree.find(path: "deaf")?.state == .stuck)
            #expect(tree.health == "unhealthy")
            latch.open()
        }
    }

    /// Found in the issue 3 trial (was `ReportedSupervisionFaultsTests.T3_adminRestartOfAStuckChildDoesNotClaimSuccess`).
    @Test func adminRestartOfAStuckChildDoesNotClaimSuccess() async throws {
        let clock = ManualClock()
        let latch = Latch()
        let probe = Probe()
        let sup = Supervisor(
            id: "root", configuration: config(), clock: clock, logger: quiet,
            children: [
                .worker("deaf", shutdown: .timeout(.seconds(1))) { _ in
                    probe.record("start deaf")
                    await latch.wait()
                }
            ])
        try await withRunning(sup, rethrowingItsEnd: false) {
            try await waitCount(probe, "start deaf")
            let r = Task { try await sup.restart(path: "deaf", by: "t3") }
            await clock.waitForSleepers(1)
            clock.advance(by: .seconds(1))
            var threw = false
            do { try await r.value } catch { threw = true }
            let node = await sup.status().find(path: "deaf")
            #expect(threw || probe.count("start deaf") == 2, "restart(path:) returned success but nothing was restarted")
            latch.open()
        }
    }
}
