import Testing

@testable import Supervision

/// One test per rule of the Erlang/OTP `supervisor` behaviour that Stevedore implements,
/// named after the rule.
@Suite struct OTPRuleTests {
    /// Children whose starts and stops are logged as "start X" / "stop X".
    /// Each reports READY only after logging its start, so the log follows the start order.
    func logged(_ id: String, _ probe: Probe, restart: RestartType = .permanent, crashOn: String? = nil) -> ChildSpec {
        .worker(id, restart: restart, readiness: .explicit(timeout: nil)) { context in
            probe.record("start \(id)")
            context.ready()
            do {
                if let crashOn {
                    try await eventually { probe.count(crashOn) > probe.count("crash \(id)") }
                    probe.record("crash \(id)")
                    throw Boom()
                }
                try await idle()
            } catch is Boom {
                throw Boom()
            } catch {
                probe.record("stop \(id)")
                throw error
            }
        }
    }

    func settle(_ sup: Supervisor) async throws {
        try await eventually("settled") { await sup.isSettled() }
    }

    @Test func oneForAll_restartsEveryChildWhenOneEnds() async throws {
        let probe = Probe()
        let sup = Supervisor(
            id: "root", configuration: config(strategy: .oneForAll), clock: ManualClock(), logger: quiet,
            children: [
                logged("a", probe), logged("b", probe, crashOn: "go"), logged("c", probe),
            ])
        try await withRunning(sup) {
            try await eventually { probe.count("start c") == 1 }
            probe.record("go")
            try await eventually { probe.count("start c") == 2 }
            try await settle(sup)
            let events = probe.events.filter { !$0.hasPrefix("go") }
            // b crashed; the others stop in reverse start order; all start again in order.
            #expect(Array(events.suffix(6)) == ["crash b", "stop c", "stop a", "start a", "start b", "start c"])
        }
    }

    @Test func restForOne_restartsTheChildAndThoseStartedAfterIt() async throws {
        let probe = Probe()
        let sup = Supervisor(
            id: "root", configuration: config(strategy: .restForOne), clock: ManualClock(), logger: quiet,
            children: [
                logged("a", probe), logged("b", probe, crashOn: "go"), logged("c", probe), logged("d", probe),
            ])
        try await withRunning(sup) {
            try await eventually { probe.count("start d") == 1 }
            probe.record("go")
            try await eventually { probe.count("start d") == 2 }
            try await settle(sup)
            #expect(Array(probe.events.suffix(6)) == ["crash b", "stop d", "stop c", "start b", "start c", "start d"])
            #expect(probe.count("start a") == 1)
        }
    }

    @Test func temporaryChild_isNotRestartedWhenASiblingsRestartTakesItDown() async throws {
        let probe = Probe()
        let sup = Supervisor(
            id: "root", configuration: config(strategy: .oneForAll), clock: ManualClock(), logger: quiet,
            children: [
                logged("tmp", probe, restart: .temporary), logged("b", probe, crashOn: "go"),
            ])
        try await withRunning(sup) {
            try await eventually { probe.count("start b") == 1 }
            probe.record("go")
            try await eventually { probe.count("start b") == 2 }
            try await settle(sup)
            #expect(probe.count("start tmp") == 1)
            #expect(probe.count("stop tmp") == 1)
            // OTP deletes its spec (OTPSpecRuleTests has the rule in full).
            #expect(await sup.status().find(path: "tmp") == nil)
        }
    }

    @Test func start_childrenStartInOrderEachCompleteBeforeTheNext() async throws {
        let probe = Probe()
        let clock = ManualClock()
        let sup = Supervisor(
            id: "root", configuration: config(), clock: clock, logger: quiet,
            children: [
                .worker("slow", readiness: .explicit(timeout: .seconds(30))) { context in
                    probe.record("start slow")
                    try await eventually { probe.count("release") > 0 }
                    context.ready()
                    try await idle()
                },
                logged("next", probe),
            ])
        try await withRunning(sup) {
            try await eventually { probe.count("start slow") == 1 }
            #expect(probe.count("start next") == 0)  // waits for slow's READY
            #expect(await sup.status().find(path: "slow")?.state == .starting)
            probe.record("release")
            try await eventually { probe.count("start next") == 1 }
        }
    }

    @Test func start_aFailedStartStopsTheStartedChildrenAndFailsTheSupervisor() async throws {
        let probe = Probe()
        let sup = Supervisor(
            id: "root", configuration: config(), clock: ManualClock(), logger: quiet,
            children: [
                logged("a", probe), logged("b", probe),
                .worker("broken", readiness: .explicit(timeout: nil)) { _ in throw Boom() },
                logged("never", probe),
            ])
        await #expect(throws: SupervisorError.startFailed(supervisor: "root", child: "broken", reason: "boom")) {
            try await sup.run()
        }
        #expect(probe.events == ["start a", "start b", "stop b", "stop a"])
    }

    @Test func stop_childrenStopInReverseOrderOneAtATime() async throws {
        let probe = Probe()
        let sup = Supervisor(
            id: "root", configuration: config(), clock: ManualClock(), logger: quiet,
            children: [
                logged("a", probe), logged("b", probe), logged("c", probe),
            ])
        let run = Task { try await sup.run() }
        try await eventually { probe.count("start c") == 1 }
        await sup.shutdown()
        try await run.value
        #expect(probe.events.filter { $0.hasPrefix("stop") } == ["stop c", "stop b", "stop a"])
    }

    @Test func stop_gracefulSignalThenCancellationAfterTheTimeout() async throws {
        let probe = Probe()
        let clock = ManualClock()
        var spec = ChildSpec.worker("polite", shutdown: .timeout(.seconds(3))) { context in
            context.onShutdownRequest { probe.record("asked") }
            do { try await idle() } catch {
                probe.record("cancelled")
                throw error
            }
        }
        spec.gracefulStop = true
        let sup = Supervisor(id: "root", configuration: config(), clock: clock, logger: quiet, children: [spec])
        try await withRunning(sup) {
            try await eventually { await sup.status().find(path: "polite")?.state == .running }
            let stop = Task { try await sup.terminateChild("polite") }
            try await eventually { probe.count("asked") == 1 }
            await clock.waitForSleepers(1)
            #expect(probe.count("cancelled") == 0)
            clock.advance(by: .seconds(3))
            try await stop.value
            #expect(probe.count("cancelled") == 1)
        }
    }

    @Test func intensity_failedRestartAttemptsCount() async throws {
        // A child that fails its start on every restart: start attempts count against the
        // intensity, so the supervisor gives up instead of retrying forever.
        let probe = Probe()
        let sup = Supervisor(
            id: "root", configuration: config(max: 3), clock: ManualClock(), logger: quiet,
            children: [
                .worker("flaky", readiness: .explicit(timeout: nil)) { context in
                    probe.record("attempt")
                    if probe.count("attempt") == 1 {
                        context.ready()
                        throw Boom()  // ends after a good start...
                    }
                    throw Boom()  // ...and never starts again
                }
            ])
        await #expect(throws: SupervisorError.self) { try await sup.run() }
        #expect(probe.count("attempt") == 4)  // 1 start + 3 counted restart attempts, the 4th count exceeds
    }

    @Test func significant_anySignificantEndsTheSupervisorWhenOneEndsOnItsOwn() async throws {
        let probe = Probe()
        let sup = Supervisor(
            id: "root", configuration: config(autoShutdown: .anySignificant), clock: ManualClock(), logger: quiet,
            children: [
                logged("other", probe),
                .worker("job", restart: .transient, significant: true) { _ in
                    try await eventually { probe.count("finish") > 0 }
                },
            ])
        let run = Task { try await sup.run() }
        try await eventually { probe.count("start other") == 1 }
        probe.record("finish")
        try await run.value  // returns normally: auto shutdown
        #expect(probe.count("stop other") == 1)
        #expect(sup.events.recent.contains { $0.kind == .autoShutdown })
    }

    @Test func significant_allSignificantWaitsForEverySignificantChild() async throws {
        let probe = Probe()
        func job(_ id: String) -> ChildSpec {
            .worker(id, restart: .temporary, significant: true) { _ in try await eventually { probe.count("finish \(id)") > 0 } }
        }
        let sup = Supervisor(
            id: "root", configuration: config(autoShutdown: .allSignificant), clock: ManualClock(), logger: quiet,
            children: [job("j1"), job("j2"), logged("other", probe)])
        let run = Task { try await sup.run() }
        try await eventually { probe.count("start other") == 1 }
        probe.record("finish j1")
        try await eventually { await sup.status().find(path: "j1") == nil }  // temporary: its spec is gone
        try await settle(sup)
        #expect(await sup.status().state == .running)
        probe.record("finish j2")
        try await run.value
    }

    @Test func significant_terminationsByTheSupervisorDoNotCount() async throws {
        let sup = Supervisor(
            id: "root", configuration: config(autoShutdown: .anySignificant), clock: ManualClock(), logger: quiet,
            children: [
                .worker("job", restart: .transient, significant: true) { _ in try await idle() }
            ])
        try await withRunning(sup) {
            try await eventually { await sup.status().find(path: "job")?.state == .running }
            try await sup.terminateChild("job")
            try await settle(sup)
            #expect(await sup.status().state == .running)
        }
    }

    @Test func liveness_missedDeadlineMarksHungAndRestartsLikeAFailure() async throws {
        let clock = ManualClock()
        let probe = Probe()
        let sup = Supervisor(
            id: "root", configuration: config(), clock: clock, logger: quiet,
            children: [
                .worker("sleepy", liveness: .seconds(10)) { context in
                    probe.record("start")
                    context.heartbeat()
                    try await idle()  // never beats again
                }
            ])
        try await withRunning(sup) {
            try await eventually { probe.count("start") == 1 }
            await clock.waitForSleepers(1)
            clock.advance(by: .seconds(10))
            try await eventually { probe.count("start") == 2 }
            let node = try #require(await sup.status().find(path: "sleepy"))
            #expect(node.lastExit?.hasPrefix("hung: no heartbeat for 10.0 s") == true)
            #expect(node.restartsTotal == 1)
            #expect(sup.events.recent.contains { $0.kind == .hung && $0.path == "sleepy" })
        }
    }

    @Test func liveness_heartbeatsKeepAChildAlive() async throws {
        let clock = ManualClock()
        let probe = Probe()
        let sup = Supervisor(
            id: "root", configuration: config(), clock: clock, logger: quiet,
            children: [
                .worker("beating", liveness: .seconds(10)) { context in
                    probe.record("start")
                    while true {
                        context.heartbeat()
                        try await eventually { probe.count("beat") > probe.count("beaten") }
                        probe.record("beaten")
                    }
                }
            ])
        try await withRunning(sup) {
            try await eventually { probe.count("start") == 1 }
            for _ in 0..<5 {
                await clock.waitForSleepers(1)
                clock.advance(by: .seconds(6))
                probe.record("beat")
                try await eventually { probe.count("beaten") == probe.count("beat") }
            }
            try await settle(sup)
            #expect(probe.count("start") == 1)
        }
    }

    @Test func admin_actsOnOnePathAndListsValidPathsOnError() async throws {
        let probe = Probe()
        let inner = Supervisor(
            id: "hello", configuration: config(), clock: ManualClock(), logger: quiet,
            children: [
                logged("poller", probe), logged("reconciler", probe),
            ])
        let deployments = Supervisor(
            id: "deployments", configuration: config(), clock: ManualClock(), logger: quiet, children: [.supervisor(inner)])
        let root = Supervisor(
            id: "root", configuration: config(), clock: ManualClock(), logger: quiet, events: EventLog(),
            children: [
                logged("store", probe), .supervisor(deployments),
            ])
        try await withRunning(root) {
            try await eventually { probe.count("start reconciler") == 1 }
            try await root.restart(path: "deployments/hello/poller", by: "test")
            #expect(probe.count("start poller") == 2)
            #expect(probe.count("start reconciler") == 1)
            #expect(probe.count("start store") == 1)
            try await root.stop(path: "deployments/hello/poller")
            #expect(await root.status().find(path: "deployments/hello/poller")?.state == .stopped)
            try await root.start(path: "deployments/hello/poller")
            #expect(await root.status().find(path: "deployments/hello/poller")?.state == .running)
            do {
                try await root.restart(path: "deployments/nope")
                Issue.record("accepted a bad path")
            } catch let SupervisorError.invalidPath(path, valid) {
                #expect(path == "deployments/nope")
                #expect(valid == ["store", "deployments", "deployments/hello", "deployments/hello/poller", "deployments/hello/reconciler"])
            }
            #expect(root.events.recent.contains { $0.kind == .admin && $0.detail == "restart by test" })
        }
    }

    @Test func status_healthRollsUpToTheRoot() async throws {
        let sup = Supervisor(
            id: "root", configuration: config(), clock: ManualClock(), logger: quiet,
            children: [
                .worker("ok") { _ in try await idle() },
                .worker("down") { context in
                    context.setDegraded("engine down")
                    try await idle()
                },
            ])
        let run = Task { try await sup.run() }
        try await eventually { await sup.status().find(path: "down")?.state == .degraded }
        #expect(await sup.status().health == "degraded")
        run.cancel()
        try await run.value
        #expect(await sup.status().health == "ok")  // all stopped
    }

    @Test func events_areRecordedWithBothClocksAndStreamed() async throws {
        let log = EventLog(capacity: 4)
        let stream = log.subscribe()
        let sup = Supervisor(
            id: "root", configuration: config(), clock: ManualClock(), logger: quiet, events: log,
            children: [
                .worker("w") { _ in try await idle() }
            ])
        let run = Task { try await sup.run() }
        var iterator = stream.makeAsyncIterator()
        let first = try #require(await iterator.next())
        #expect(first.kind == .started && first.path == "w")
        #expect(first.wallSeconds > 1_700_000_000)
        #expect(first.monotonicSeconds == 0)
        let second = try #require(await iterator.next())
        #expect(second.kind == .ready)
        run.cancel()
        try await run.value
        for i in 0..<10 { log.append(SupervisorEvent(path: "x", kind: .admin, detail: "\(i)", monotonicSeconds: 0, wallSeconds: 0)) }
        #expect(log.recent.map(\.detail) == ["6", "7", "8", "9"])  // bounded ring, oldest first
    }
}
