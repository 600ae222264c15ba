import Synchronization
import Testing

@testable import Supervision

/// `ChildContext.heartbeating(every:_:)` and `sleep(for:heartbeatEvery:)`: long waits of a
/// daemon worker must not look like hangs. (Heartbeats are observed, never timed.)
@Suite struct HeartbeatHelperTests {
    let clock = ManualClock()

    @Test func heartbeatingBeatsWhileTheOperationRuns() async throws {
        let context = ChildContext(path: "w", clock: clock)
        let beats = Mutex(0)
        let result = try await context.heartbeating(every: .milliseconds(1)) {
            // Each beat stamps the manual clock's current time; advance it and wait for a
            // beat carrying the new time: only the helper's background task can make one.
            for step in 1...3 {
                clock.advance(by: .seconds(1))
                try await eventually("beat \(step)") { context.lastHeartbeat == clock.now }
                beats.withLock { $0 += 1 }
            }
            return 42
        }
        #expect(result == 42)
        #expect(beats.withLock { $0 } == 3)
    }

    @Test func heartbeatingRethrowsAndStopsBeating() async throws {
        let context = ChildContext(path: "w", clock: clock)
        await #expect(throws: Boom.self) {
            try await context.heartbeating(every: .milliseconds(1)) { () async throws -> Int in throw Boom() }
        }
    }

    @Test func sleepBeatsEveryInterval() async throws {
        let context = ChildContext(path: "w", clock: clock)
        let sleeper = Task { try await context.sleep(for: .seconds(3600), heartbeatEvery: .milliseconds(1)) }
        for step in 1...3 {
            clock.advance(by: .seconds(1))
            try await eventually("beat \(step)") { context.lastHeartbeat == clock.now }
        }
        sleeper.cancel()
        await #expect(throws: CancellationError.self) { try await sleeper.value }
    }
}
