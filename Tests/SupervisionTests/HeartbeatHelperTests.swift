import Synchronization
import Testing

@testable import Supervision

/// `ChildContext.heartbeating(every:_:)` and `sleep(for:heartbeatEvery:)`: long idle waits of
/// a daemon worker must not look like hangs, and must not wake the worker to heartbeat either
/// (the wait is vouched for; the liveness deadline counts from its end). Heartbeats are
/// observed on a manual clock, never timed.
@Suite struct HeartbeatHelperTests {
    let clock = ManualClock()

    @Test func heartbeatingCountsAsAliveWhileTheOperationRuns() async throws {
        let context = ChildContext(path: "w", clock: clock)
        let result = try await context.heartbeating(every: .milliseconds(1)) {
            // However far the clock moves, the child's heartbeat is current.
            for _ in 1...3 {
                clock.advance(by: .seconds(100))
                #expect(context.lastHeartbeat == clock.now)
            }
            return 42
        }
        #expect(result == 42)
        // The end was a heartbeat, and it no longer moves with the clock.
        let end = clock.now
        clock.advance(by: .seconds(5))
        #expect(context.lastHeartbeat == end)
    }

    @Test func heartbeatingRethrowsAndEndsTheVouch() async throws {
        let context = ChildContext(path: "w", clock: clock)
        await #expect(throws: Boom.self) {
            try await context.heartbeating(every: .milliseconds(1)) { () async throws -> Int in throw Boom() }
        }
        clock.advance(by: .seconds(5))
        #expect(context.lastHeartbeat == clock.now - .seconds(5))
    }

    @Test func sleepCountsAsAliveUntilItsEnd() async throws {
        let context = ChildContext(path: "w", clock: clock)
        let sleeper = Task { try await context.sleep(for: .seconds(3600), heartbeatEvery: .milliseconds(1)) }
        try await eventually("vouched") { context.livenessBase == .seconds(3600) }
        for _ in 1...3 {
            clock.advance(by: .seconds(1000))
            #expect(context.lastHeartbeat == clock.now)
        }
        // Past the end the sleep was vouched for (the real one has not ended): silent since then.
        clock.advance(by: .seconds(1000))
        #expect(context.lastHeartbeat == .seconds(3600))
        sleeper.cancel()
        await #expect(throws: CancellationError.self) { try await sleeper.value }
    }

    /// A poller sleeping an hour with a 10 s deadline is not hung, its supervisor wakes once for
    /// the whole sleep (not every deadline), and the deadline counts from the sleep's end.
    @Test func aSleepOutlastsTheDeadlineWhichCountsFromItsEnd() async throws {
        let probe = Probe()
        let seen = Mutex<ChildContext?>(nil)
        let sup = Supervisor(
            id: "root", configuration: config(), clock: clock, logger: quiet,
            children: [
                .worker("poller", liveness: .seconds(10)) { context in
                    seen.withLock { $0 = context }
                    probe.record("start")
                    try await context.sleep(for: .seconds(3600), heartbeatEvery: .seconds(2))
                }
            ])
        try await withRunning(sup) {
            try await eventually("vouched") { seen.withLock { $0 }?.livenessBase == .seconds(3600) }
            await clock.waitForSleepers(1)  // the liveness timer set at the start
            clock.advance(by: .seconds(30))
            try await eventually("the check moved to the sleep's end") { clock.pendingDeadlines == [.seconds(3610)] }
            #expect(probe.count("start") == 1)
            #expect(await sup.status().find(path: "poller")?.state == .running)
            #expect(await sup.status().find(path: "poller")?.lastHeartbeatAgeSeconds == 0)
            // 10 s after the vouched end (the real sleep goes on: the child is silent).
            clock.advance(by: .seconds(3580))
            try await eventually { probe.count("start") == 2 }
            let node = try #require(await sup.status().find(path: "poller"))
            #expect(node.lastExit?.hasPrefix("hung: no heartbeat for 10.0 s") == true)
        }
    }

    /// A pipeline waiting for its next job through `heartbeating` is alive however long it
    /// waits; once the wait is over, a deadline without heartbeat is a hang again.
    @Test func aWaitOutlastsTheDeadlineAndAHangAfterItIsCaught() async throws {
        let probe = Probe()
        let sup = Supervisor(
            id: "root", configuration: config(), clock: clock, logger: quiet,
            children: [
                .worker("pipeline", liveness: .seconds(10)) { context in
                    probe.record("start")
                    try await context.heartbeating(every: .seconds(2)) {
                        probe.record("waiting")
                        try await waitUntil { probe.count("job") > 0 }
                    }
                    probe.record("done")
                    try await idle()  // hangs: never beats again
                }
            ])
        try await withRunning(sup) {
            try await eventually { probe.count("waiting") == 1 }
            await clock.waitForSleepers(1)
            clock.advance(by: .seconds(30))
            try await eventually("checked, then checked again a deadline later") { clock.pendingDeadlines == [.seconds(40)] }
            #expect(probe.count("start") == 1)
            probe.record("job")
            try await eventually { probe.count("done") == 1 }
            clock.advance(by: .seconds(10))
            try await eventually { probe.count("start") == 2 }
            let node = try #require(await sup.status().find(path: "pipeline"))
            #expect(node.lastExit?.hasPrefix("hung: no heartbeat for 10.0 s") == true)
        }
    }
}
