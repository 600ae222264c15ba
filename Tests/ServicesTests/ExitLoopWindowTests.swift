import Services
import Testing

/// Reported by a fresh-user trial: a container without a restart policy that passes the gate
/// and exits a few seconds later was started again on every reconcile pass, forever, and never
/// reported. The window turns repeated restarts into `degraded` and a backoff.
@Suite struct ExitLoopWindowTests {
    @Test func restartsWithinTheWindowBecomeALoopWithBackoff() {
        let t0 = ContinuousClock.now
        var window = ExitLoopWindow()
        let interval = Duration.seconds(10)
        window.record("p-web-1 exited (status 1)", at: t0)
        window.record("p-web-1 exited (status 1)", at: t0 + .seconds(20))
        #expect(!window.isLooping)
        #expect(window.delay(interval: interval) == interval)
        #expect(window.reason(nextPassIn: interval) == nil)
        window.record("p-web-1 exited (status 2)", at: t0 + .seconds(40))
        #expect(window.isLooping)
        #expect(window.delay(interval: interval) == .seconds(20))
        #expect(
            window.reason(nextPassIn: .seconds(20))
                == "containers keep exiting by themselves: started again 3 times in the last 600 s (last: p-web-1 exited (status 2)); backing off, next pass in 20 s"
        )
        window.record("p-web-1 exited (status 1)", at: t0 + .seconds(80))
        #expect(window.delay(interval: interval) == .seconds(40))
        // The delay is capped…
        for i in 0..<20 { window.record("x", at: t0 + .seconds(100 + i)) }
        #expect(window.delay(interval: interval) == .seconds(300))
    }

    @Test func oldRestartsAreForgotten() {
        let t0 = ContinuousClock.now
        var window = ExitLoopWindow(window: .seconds(600), threshold: 3)
        for i in 0..<3 { window.record("p-web-1 exited (status 1)", at: t0 + .seconds(i)) }
        #expect(window.isLooping)
        window.expire(now: t0 + .seconds(601))
        #expect(window.restarts.count == 2)  // those at t0 + 1 s and + 2 s are exactly 600 s and 599 s old
        #expect(!window.isLooping)
        window.expire(now: t0 + .seconds(700))
        #expect(window.restarts.isEmpty)
        #expect(window.delay(interval: .seconds(5)) == .seconds(5))
    }
}
