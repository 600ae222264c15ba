import Testing

@testable import Supervision

@Suite struct IntensityTests {
    @Test func exceedingIntensityStopsTheSupervisorWithAnError() async throws {
        let probe = Probe()
        let sup = Supervisor(
            id: "root", configuration: config(max: 2, period: .seconds(10)), clock: ManualClock(), logger: quiet,
            children: [
                .worker("bystander") { _ in
                    probe.record("bystander")
                    do { try await idle() } catch {
                        probe.record("bystander-stopped")
                        throw error
                    }
                },
                .worker("crasher") { _ in
                    probe.record("crash")
                    throw Boom()
                },
            ])
        await #expect(
            throws: SupervisorError.restartIntensityExceeded(
                supervisor: "root", maxRestarts: 2, period: .seconds(10), lastReason: "crasher: boom")
        ) {
            try await sup.run()
        }
        // 1 start + 2 allowed restarts; the 3rd restart would exceed 2 in 10 s.
        #expect(probe.count("crash") == 3)
        // Every other child was stopped before run() ended.
        #expect(probe.count("bystander-stopped") == 1)
        let status = await sup.status()
        #expect(status.state == .failed)
        #expect(status.find(path: "crasher")?.state == .failed)
        #expect(status.find(path: "bystander")?.state == .stopped)
    }

    @Test func restartsOutsideThePeriodDoNotCount() async throws {
        // One restart allowed per 10 s; a crash every 11 s is tolerated forever.
        let clock = ManualClock()
        let probe = Probe()
        let sup = periodicCrasher(max: 1, period: .seconds(10), delay: .seconds(11), clock: clock, probe)
        try await withRunning(sup) {
            for n in 1...4 {
                try await eventually("start \(n)") { probe.count("start") == n }
                await clock.waitForSleepers(1)
                clock.advance(by: .seconds(11))
            }
            try await eventually { probe.count("start") == 5 }
            #expect(await sup.status().state == .running)
        }
    }

    @Test func nestedSupervisorFailureIsHandledByItsParent() async throws {
        let probe = Probe()
        let inner = crashingSupervisor(max: 1, probe)
        let outer = Supervisor(
            id: "root", configuration: config(max: 3), clock: ManualClock(), logger: quiet,
            children: [
                .supervisor(inner)
            ])
        do {
            try await outer.run()
            Issue.record("outer should have given up")
        } catch let SupervisorError.restartIntensityExceeded(supervisor, maxRestarts, _, lastReason) {
            #expect(supervisor == "root")
            #expect(maxRestarts == 3)
            #expect(lastReason.contains("supervisor 'inner' exceeded its restart intensity"))
        }
        // inner: 2 starts of the crasher per incarnation; outer restarts inner 3 times = 4 incarnations.
        #expect(probe.count("crash") == 8)
    }

    @Test func restartWindowSlides() {
        var window = RestartWindow()
        #expect(window.record(at: .seconds(0), period: .seconds(5)) == 1)
        #expect(window.record(at: .seconds(4), period: .seconds(5)) == 2)
        // OTP keeps a restart exactly one period old (R >= Now - Period).
        #expect(window.record(at: .seconds(5), period: .seconds(5)) == 3)
        #expect(window.record(at: .seconds(6), period: .seconds(5)) == 3)  // the one at 0 left the window
        #expect(window.count(now: .seconds(10), period: .seconds(5)) == 2)
        #expect(window.count(now: .seconds(12), period: .seconds(5)) == 0)
    }

    /// Found in the issue 3 trial (was `ReportedSupervisionFaultsTests.T3_intensityZeroEscalatesOnTheFirstRestart`).
    @Test func intensityZeroEscalatesOnTheFirstRestart() async throws {
        let probe = Probe()
        let sup = Supervisor(
            id: "root", configuration: config(max: 0), clock: ManualClock(), logger: quiet,
            children: [
                w3("a", probe), w3("b", probe),
            ])
        let run = Task { try await sup.run() }
        try await waitCount(probe, "start b")
        probe.record("go a")
        await #expect(throws: SupervisorError.self) { try await run.value }
        #expect(probe.count("start a") == 1)
        #expect(probe.count("stop b") == 1)
        let esc = sup.events.recent.first { $0.kind == .escalated }
    }
}
