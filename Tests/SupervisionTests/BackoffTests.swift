import Testing

@testable import Supervision

@Suite struct BackoffTests {
    @Test func delaysGrowExponentiallyUpToTheCap() {
        let policy = BackoffPolicy(initial: .seconds(1), maximum: .seconds(10), multiplier: 2, jitter: 0)
        let delays = (1...6).map { policy.delay(attempt: $0, unitRandom: 0.5) }
        #expect(delays == [.seconds(1), .seconds(2), .seconds(4), .seconds(8), .seconds(10), .seconds(10)])
    }

    @Test func manyConsecutiveRestartsNeitherOverflowNorTrap() {
        // Regression: attempt 10,000 computed 0 × ∞ = NaN with `.none`, and Duration trapped.
        #expect(BackoffPolicy.none.delay(attempt: 10_000, unitRandom: 0.5) == .zero)
        let policy = BackoffPolicy(initial: .milliseconds(500), maximum: .seconds(30), jitter: 0)
        #expect(policy.delay(attempt: 10_000, unitRandom: 0.5) == .seconds(30))
        #expect(policy.delay(attempt: Int.max, unitRandom: 0.5) == .seconds(30))
    }

    @Test func jitterStaysWithinItsFraction() {
        let policy = BackoffPolicy(initial: .seconds(10), maximum: .seconds(10), jitter: 0.2)
        #expect(policy.delay(attempt: 1, unitRandom: 0) == .seconds(8))
        #expect(policy.delay(attempt: 1, unitRandom: 0.5) == .seconds(10))
        #expect(policy.delay(attempt: 1, unitRandom: 0.999_999).seconds < 12.0001)
    }

    @Test func supervisorWaitsLongerBeforeEachRestart() async throws {
        let clock = ManualClock()
        let probe = Probe()
        let backoff = BackoffPolicy(initial: .seconds(1), maximum: .seconds(60), multiplier: 2, jitter: 0, resetAfter: .seconds(600))
        let sup = Supervisor(
            id: "root", configuration: config(max: 100, period: .seconds(1000), backoff: backoff), clock: clock, logger: quiet,
            children: [
                .worker("w") { _ in
                    probe.record("start")
                    throw Boom()
                }
            ])
        try await withRunning(sup) {
            var observed: [Duration] = []
            for n in 1...5 {
                try await eventually("start \(n)") { probe.count("start") == n }
                await clock.waitForSleepers(1)
                let node = try #require(await sup.status().find(path: "w"))
                #expect(node.state == .backoff)
                let deadline = try #require(clock.pendingDeadlines.first)
                let delay = deadline - clock.now
                observed.append(delay)
                #expect(node.nextRestartInSeconds == delay.seconds)
                // Not restarted a moment before the delay is over.
                clock.advance(by: delay - .milliseconds(1))
                #expect(probe.count("start") == n)
                clock.advance(by: .milliseconds(1))
            }
            #expect(observed == [.seconds(1), .seconds(2), .seconds(4), .seconds(8), .seconds(16)])
        }
    }

    @Test func backoffResetsAfterTheChildStayedUp() async throws {
        let clock = ManualClock()
        let probe = Probe()
        let crash = Probe()  // "now" tells the child to crash
        let backoff = BackoffPolicy(initial: .seconds(1), maximum: .seconds(60), multiplier: 2, jitter: 0, resetAfter: .seconds(30))
        let sup = Supervisor(
            id: "root", configuration: config(max: 100, period: .seconds(1000), backoff: backoff), clock: clock, logger: quiet,
            children: [
                .worker("w") { _ in
                    probe.record("start")
                    if probe.count("start") <= 3 { throw Boom() }
                    // 4th incarnation: stays up until told to crash.
                    try await eventually { crash.count("now") > 0 }
                    throw Boom()
                }
            ])
        try await withRunning(sup) {
            for n in 1...3 {
                try await eventually { probe.count("start") == n }
                await clock.waitForSleepers(1)
                clock.advance(by: clock.pendingDeadlines[0] - clock.now)
            }
            try await eventually { probe.count("start") == 4 }
            clock.advance(by: .seconds(31))  // up longer than resetAfter
            crash.record("now")
            await clock.waitForSleepers(1)
            #expect(clock.pendingDeadlines[0] - clock.now == .seconds(1))
        }
    }
}

/// A child spec's own backoff replaces the supervisor's (the health watchdog must be repaired
/// within systemd's WatchdogSec= however often it hangs; a fresh-user trial saw the 5th hang
/// in a row wait 7 s and let systemd restart the daemon).
@Suite struct ChildBackoffOverrideTests {
    @Test func childBackoffCapsTheDelay() async throws {
        let clock = ManualClock()
        let probe = Probe()
        var spec = ChildSpec.worker("w") { _ in
            probe.record("start")
            throw Boom()
        }
        spec.backoff = BackoffPolicy(initial: .milliseconds(500), maximum: .seconds(1), jitter: 0)
        let sup = Supervisor(
            id: "root",
            configuration: config(max: 100, backoff: BackoffPolicy(initial: .seconds(10), maximum: .seconds(30), jitter: 0)),
            clock: clock, logger: quiet, children: [])
        try await withRunning(sup, rethrowingItsEnd: false) {
            try await eventually { await sup.isSettled() }
            try? await sup.startChild(spec)
            for attempt in 1...6 {
                try await eventually("backoff \(attempt)") { await sup.status().find(path: "w")?.state == .backoff }
                let wait = try #require(await sup.status().find(path: "w")?.nextRestartInSeconds)
                #expect(wait <= 1.0, "attempt \(attempt): \(wait) s")
                await clock.waitForSleepers(1)
                clock.advance(by: .seconds(1))
                try await eventually("restart \(attempt)") { probe.count("start") == attempt + 1 }
            }
        }
    }
}
