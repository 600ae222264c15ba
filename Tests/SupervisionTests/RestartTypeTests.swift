import Testing

@testable import Supervision

@Suite struct RestartTypeTests {
    @Test func permanentChildThatThrowsIsRestarted() async throws {
        let clock = ManualClock()
        let probe = Probe()
        let sup = Supervisor(
            id: "root", configuration: config(), clock: clock, logger: quiet,
            children: [
                .worker("w") { _ in
                    probe.record("start")
                    if probe.count("start") < 3 { throw Boom() }
                    try await idle()
                }
            ])
        try await withRunning(sup) {
            try await eventually("three starts") { probe.count("start") == 3 }
            let node = try #require(await sup.status().find(path: "w"))
            #expect(node.state == .running)
            #expect(node.restartsTotal == 2)
            #expect(node.lastExit == "boom")
        }
    }

    @Test func permanentChildThatReturnsIsRestarted() async throws {
        let probe = Probe()
        let sup = Supervisor(
            id: "root", configuration: config(), clock: ManualClock(), logger: quiet,
            children: [
                .worker("w") { _ in
                    probe.record("start")
                    if probe.count("start") >= 2 { try await idle() }
                }
            ])
        try await withRunning(sup) {
            try await eventually { probe.count("start") == 2 }
        }
    }

    @Test func transientChildThatReturnsIsNotRestarted() async throws {
        let probe = Probe()
        let sup = Supervisor(
            id: "root", configuration: config(), clock: ManualClock(), logger: quiet,
            children: [
                .worker("t", restart: .transient) { _ in probe.record("start") },
                .worker("keepalive") { _ in try await idle() },
            ])
        try await withRunning(sup) {
            try await eventually { await sup.status().find(path: "t")?.lastExit == "normal" }
            #expect(probe.count("start") == 1)
            let node = try #require(await sup.status().find(path: "t"))
            #expect(node.lastExit == "normal")
            #expect(node.restartsTotal == 0)
        }
    }

    @Test func transientChildThatThrowsIsRestarted() async throws {
        let probe = Probe()
        let sup = Supervisor(
            id: "root", configuration: config(), clock: ManualClock(), logger: quiet,
            children: [
                .worker("t", restart: .transient) { _ in
                    probe.record("start")
                    if probe.count("start") == 1 { throw Boom() }
                }
            ])
        try await withRunning(sup) {
            try await eventually { await sup.status().find(path: "t")?.lastExit == "normal" }
            #expect(probe.count("start") == 2)
            #expect(await sup.status().find(path: "t")?.state == .stopped)
        }
    }

    @Test func temporaryChildIsNeverRestarted() async throws {
        let probe = Probe()
        let sup = Supervisor(
            id: "root", configuration: config(), clock: ManualClock(), logger: quiet,
            children: [
                .worker("tmp", restart: .temporary) { _ in
                    probe.record("start")
                    throw Boom()
                }
            ])
        try await withRunning(sup) {
            // Its spec is deleted when it ends (OTP), so only the event log keeps its exit.
            try await eventually { await sup.childIDs.isEmpty }
            #expect(probe.count("start") == 1)
            #expect(sup.events.recent.contains { $0.kind == .exited && $0.path == "tmp" && $0.detail == "boom" })
        }
    }

    /// Found in the issue 3 trial (was `ReportedSupervisionFaultsTests.T3_transientSignificantChildThatCrashesIsRestartedNotShutDown`).
    @Test func transientSignificantChildThatCrashesIsRestartedNotShutDown() async throws {
        let probe = Probe()
        let sup = Supervisor(
            id: "root", configuration: config(autoShutdown: .anySignificant), clock: ManualClock(), logger: quiet,
            children: [
                w3("other", probe), w3("job", probe, restart: .transient, significant: true),
            ])
        try await withRunning(sup, rethrowingItsEnd: false) {
            try await waitCount(probe, "start job")
            probe.record("go job")
            try await waitCount(probe, "start job", 2)
            try await eventually { await sup.isSettled() }
            #expect(await sup.status().state == .running)
            #expect(!sup.events.recent.contains { $0.kind == .autoShutdown })
        }
    }
}
