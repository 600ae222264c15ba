import Testing

@testable import Supervision

@Suite struct RuntimeAPITests {
    @Test func childrenAddedAtRunTimeStartAndShowInStatus() async throws {
        let probe = Probe()
        let deployments = Supervisor(id: "deployments", configuration: config(), clock: ManualClock(), logger: quiet)
        let root = Supervisor(
            id: "root", configuration: config(), clock: ManualClock(), logger: quiet,
            children: [
                .worker("store") { _ in try await idle() },
                .supervisor(deployments),
            ])
        try await withRunning(root) {
            let hello = Supervisor(
                id: "hello", configuration: config(), clock: ManualClock(), logger: quiet,
                children: [
                    .worker("poller") { context in
                        probe.record(context.path)
                        context.heartbeat()
                        try await idle()
                    }
                ])
            try await eventually { await root.status().find(path: "deployments")?.state == .running }
            try await deployments.startChild(.supervisor(hello))
            try await eventually { probe.count("deployments/hello/poller") == 1 }
            let tree = await root.status()
            #expect(tree.flattened.map(\.path) == ["", "store", "deployments", "deployments/hello", "deployments/hello/poller"])
            #expect(tree.find(path: "deployments/hello/poller")?.lastHeartbeatAgeSeconds == 0)
            await #expect(throws: SupervisorError.alreadyStarted("hello")) { try await deployments.startChild(.supervisor(hello)) }
        }
    }

    @Test func terminateRestartDeleteFollowOTP() async throws {
        let probe = Probe()
        let sup = Supervisor(
            id: "root", configuration: config(), clock: ManualClock(), logger: quiet,
            children: [
                .worker("w") { _ in
                    probe.record("start")
                    try await idle()
                }
            ])
        try await withRunning(sup) {
            try await eventually { probe.count("start") == 1 }
            await #expect(throws: SupervisorError.running("w")) { try await sup.restartChild("w") }
            await #expect(throws: SupervisorError.running("w")) { try await sup.deleteChild("w") }
            await #expect(throws: SupervisorError.notFound("x")) { try await sup.terminateChild("x") }
            try await sup.terminateChild("w")
            #expect(await sup.status().find(path: "w")?.state == .stopped)
            #expect(probe.count("start") == 1)  // a terminated child is not restarted
            try await sup.restartChild("w")
            try await eventually { probe.count("start") == 2 }
            #expect(await sup.whichChildren.map(\.state) == [.running])
            #expect(await sup.childCounts.active == 1)
            try await sup.terminateChild("w")
            #expect(await sup.whichChildren.map(\.state) == [.stopped])
            #expect(await sup.childCounts.active == 0)
            try await sup.deleteChild("w")
            #expect(await sup.childIDs == [])
        }
    }

    @Test func shutdownStopsChildrenInReverseStartOrder() async throws {
        let probe = Probe()
        func child(_ id: String) -> ChildSpec {
            .worker(id) { _ in
                probe.record("start \(id)")
                do { try await idle() } catch {
                    probe.record("stop \(id)")
                    throw error
                }
            }
        }
        let sup = Supervisor(
            id: "root", configuration: config(), clock: ManualClock(), logger: quiet, children: [child("a"), child("b"), child("c")])
        let run = Task { try await sup.run() }
        try await eventually { probe.count("start c") == 1 }
        await sup.shutdown()
        try await run.value
        #expect(probe.events.filter { $0.hasPrefix("stop") } == ["stop c", "stop b", "stop a"])
    }

    @Test func cancellingASupervisorStopsItsChildren() async throws {
        // Regression: AsyncStream iteration ends at once on cancellation, so the queued
        // shutdown was never handled and children kept running.
        let probe = Probe()
        let sup = Supervisor(
            id: "root", configuration: config(), clock: ManualClock(), logger: quiet,
            children: [
                .worker("a") { _ in
                    probe.record("start")
                    do { try await idle() } catch {
                        probe.record("stopped")
                        throw error
                    }
                }
            ])
        let run = Task { try await sup.run() }
        try await eventually { probe.count("start") == 1 }
        run.cancel()
        try await run.value
        #expect(probe.count("stopped") == 1)
        #expect(await sup.status().find(path: "a")?.state == .stopped)
    }

    @Test func childIgnoringCancellationIsReportedStuckAndDoesNotHangTheSupervisor() async throws {
        let clock = ManualClock()
        let release = Probe()
        let sup = Supervisor(
            id: "root", configuration: config(), clock: clock, logger: quiet,
            children: [
                .worker("stubborn", shutdown: .timeout(.seconds(5))) { _ in
                    // Ignores cancellation until released.
                    while release.count("go") == 0 {
                        await Task.yield()
                        try? await Task.sleep(for: .milliseconds(1))
                    }
                }
            ])
        try await withRunning(sup) {
            try await eventually { await sup.status().find(path: "stubborn")?.state == .running }
            let terminate = Task { try await sup.terminateChild("stubborn") }
            await clock.waitForSleepers(1)  // the shutdown timeout
            clock.advance(by: .seconds(5))
            // The stop did not happen: say so (a fresh-user trial saw "stopped … (now stuck)").
            await #expect(throws: SupervisorError.stuck("stubborn")) { try await terminate.value }
            #expect(await sup.status().find(path: "stubborn")?.state == .stuck)
            release.record("go")
            try await eventually { await sup.status().find(path: "stubborn")?.state == .stopped }
        }
    }

    @Test func degradedIsReportedWithoutBeingAFailure() async throws {
        let sup = Supervisor(
            id: "root", configuration: config(), clock: ManualClock(), logger: quiet,
            children: [
                .worker("poller") { context in
                    context.setDegraded("git remote unreachable")
                    context.setStatus("retrying")
                    try await idle()
                }
            ])
        try await withRunning(sup) {
            try await eventually { await sup.status().find(path: "poller")?.state == .degraded }
            let node = try #require(await sup.status().find(path: "poller"))
            #expect(node.reason == "git remote unreachable")
            #expect(node.status == "retrying")
            #expect(node.restartsTotal == 0)
        }
    }

    /// Found in the issue 3 trial (was `ReportedSupervisionFaultsTests.T3_adminRequestQueuedBehindShutdownIsAnswered`).
    @Test func adminRequestQueuedBehindShutdownIsAnswered() async throws {
        let probe = Probe()
        let clock = ManualClock()
        let sup = Supervisor(
            id: "root", configuration: config(), clock: clock, logger: quiet,
            children: [
                .worker("slow", shutdown: .timeout(.seconds(5)), gracefulStop: true) { _ in try await idle() },
                .worker("other") { _ in
                    probe.record("start other")
                    try await idle()
                },
            ])
        let run = Task { try await sup.run() }
        try await waitCount(probe, "start other")
        let first = Task { try await sup.terminateChild("slow") }
        await clock.waitForSleepers(1)  // the loop is busy in slow's graceful wait
        await sup.shutdown()
        let second = Task {
            do {
                try await sup.terminateChild("other")
                probe.record("answered ok")
            } catch { probe.record("answered \(error)") }
        }
        try await Task.sleep(for: .milliseconds(200))
        clock.advance(by: .seconds(5))
        try await first.value
        try await run.value
        let answered = await within(60) { probe.events.contains { $0.hasPrefix("answered") } }
        #expect(answered, "terminateChild queued behind shutdown never returns (continuation dropped)")
        second.cancel()
    }

    /// Found in the issue 3 trial (was `ReportedSupervisionFaultsTests.T3_adminRequestQueuedBehindEscalationIsAnswered`).
    @Test func adminRequestQueuedBehindEscalationIsAnswered() async throws {
        let probe = Probe()
        let clock = ManualClock()
        let sup = Supervisor(
            id: "root", configuration: config(max: 0), clock: clock, logger: quiet,
            children: [
                .worker("slow", shutdown: .timeout(.seconds(5)), gracefulStop: true) { _ in try await idle() },
                w3("b", probe),
            ])
        let run = Task { try await sup.run() }
        try await waitCount(probe, "start b")
        let first = Task { try await sup.terminateChild("slow") }
        await clock.waitForSleepers(1)
        probe.record("go b")  // crash queued while the loop is busy
        try await waitCount(probe, "crash b")
        try await Task.sleep(for: .milliseconds(100))
        let second = Task {
            do {
                try await sup.restartChild("slow")
                probe.record("answered ok")
            } catch { probe.record("answered \(error)") }
        }
        try await Task.sleep(for: .milliseconds(200))
        clock.advance(by: .seconds(5))
        try await first.value
        await #expect(throws: SupervisorError.self) { try await run.value }
        let answered = await within(60) { probe.events.contains { $0.hasPrefix("answered") } }
        #expect(answered, "restartChild queued behind an escalation never returns")
        second.cancel()
    }

    /// Found in the issue 3 trial (was `ReportedSupervisionFaultsTests.T3_adminByPathRejectsBadPaths`).
    @Test func adminByPathRejectsBadPaths() async throws {
        let clock = ManualClock()
        let inner = Supervisor(
            id: "sub", configuration: config(), clock: clock, logger: quiet, children: [.worker("x") { _ in try await idle() }])
        let root = Supervisor(
            id: "root", configuration: config(), clock: clock, logger: quiet,
            children: [
                .worker("a") { _ in try await idle() }, .supervisor(inner),
            ])
        try await withRunning(root, rethrowingItsEnd: false) {
            try await eventually { await root.status().find(path: "sub/x")?.state == .running }
            for bad in ["", "/", "nope", "a/x", "sub/nope", "sub/x/y", "root", "root/a", "/a", "a/", "sub//x", " a"] {
                do {
                    try await root.restart(path: bad, by: "t3")
                    #expect(Bool(false), "bad path '\(bad)' accepted")
                } catch let e as SupervisorError {
                    _ = e
                }
            }
            await #expect(throws: SupervisorError.running("x")) { try await root.start(path: "sub/x") }
            try await root.stop(path: "sub")
            let sub = await root.status().find(path: "sub")
            try await root.start(path: "sub")
            try await eventually { await root.status().find(path: "sub/x")?.state == .running }
        }
    }

    /// Found in the issue 3 trial (was `ReportedSupervisionFaultsTests.T3_failedStartChildDoesNotKeepTheSpec`).
    @Test func failedStartChildDoesNotKeepTheSpec() async throws {
        let sup = Supervisor(
            id: "root", configuration: config(), clock: ManualClock(), logger: quiet, children: [.worker("k") { _ in try await idle() }])
        try await withRunning(sup, rethrowingItsEnd: false) {
            try await eventually { await sup.childCounts.active == 1 }
            let bad = ChildSpec.worker("bad", readiness: .explicit(timeout: nil)) { _ in throw Boom() }
            await #expect(throws: SupervisorError.self) { try await sup.startChild(bad) }
            // OTP: a failed start_child does not add the spec, so a retry is not already_present.
            do { try await sup.startChild(bad) } catch { #expect((error as? SupervisorError) != .alreadyPresent("bad")) }
        }
    }
}
