import Foundation
import Logging
import Supervision
import Synchronization
import Testing

/// Counts events from children so tests can wait for them.
final class Probe: Sendable {
    private let counts = Mutex<[String: Int]>([:])
    private let log = Mutex<[String]>([])

    func record(_ event: String) {
        counts.withLock { $0[event, default: 0] += 1 }
        log.withLock { $0.append(event) }
    }

    func count(_ event: String) -> Int { counts.withLock { $0[event] ?? 0 } }
    var events: [String] { log.withLock { $0 } }
}

struct Boom: Error, CustomStringConvertible {
    var description: String { "boom" }
}

/// Waits (yielding; no wall-clock bound on correctness) until `condition` holds.
func eventually(_ what: String = "", _ condition: @Sendable () async -> Bool) async throws {
    // Yields first (most conditions hold within a few hops), then sleeps 1 ms per try so a
    // long wait does not spin a core; gives up after about a minute.
    for i in 0..<60_000 {
        if await condition() { return }
        if i < 64 { await Task.yield() } else { try await Task.sleep(for: .milliseconds(1)) }
    }
    Issue.record("condition never held: \(what)")
    throw Boom()
}

/// Waits without limit until `condition` holds, for children's bodies: ends with
/// `CancellationError` when the child is stopped.
func waitUntil(_ condition: @Sendable () async -> Bool) async throws {
    while !(await condition()) { try await Task.sleep(for: .milliseconds(1)) }
}

/// Runs `supervisor` as a root while `body` runs, then cancels it and waits until it has
/// ended: the scaffolding most supervisor tests share.
///
/// - Parameter rethrowingItsEnd: whether an error the supervisor's run ended with is thrown
///   (`false` for tests in which it may already have given up).
func withRunning(_ supervisor: Supervisor, rethrowingItsEnd: Bool = true, _ body: () async throws -> Void) async throws {
    let run = Task { try await supervisor.run() }
    do {
        try await body()
    } catch {
        run.cancel()
        _ = try? await run.value
        throw error
    }
    run.cancel()
    if rethrowingItsEnd {
        try await run.value
    } else {
        _ = try? await run.value
    }
}

/// A configuration without jitter, so delays are exact.
func config(
    max: Int = 10, period: Duration = .seconds(60), backoff: BackoffPolicy = .none,
    strategy: RestartStrategy = .oneForOne, autoShutdown: AutoShutdown = .never
) -> SupervisorConfiguration {
    SupervisorConfiguration(
        strategy: strategy, intensity: RestartIntensity(maxRestarts: max, period: period), backoff: backoff,
        autoShutdown: autoShutdown, random: { 0.5 })
}

/// Runs forever until cancelled.
func idle() async throws {
    while true { try await Task.sleep(for: .seconds(3600)) }
}

/// A logger that drops everything, so test output stays readable.
let quiet = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })

/// Zombie children of this process whose command name (`comm`, at most 15 bytes) is `name`.
func zombieChildren(named name: String) -> [pid_t] {
    OrphanReaper.zombieChildren().filter { pid in
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let open = stat.firstIndex(of: "("), let close = stat.lastIndex(of: ")")
        else { return false }
        return stat[stat.index(after: open)..<close] == name
    }
}

/// Waits until `condition` holds, giving up after `seconds` (a bound for a broken run, not a
/// speed requirement: callers pass 60 s); returns whether it held.
func within(_ seconds: Double, _ condition: @Sendable () async -> Bool) async -> Bool {
    let end = Date().addingTimeInterval(seconds)
    while Date() < end {
        if await condition() { return true }
        try? await Task.sleep(for: .milliseconds(2))
    }
    return await condition()
}

/// Waits (cancellably) until `probe` counted `event` at least `n` times.
func waitCount(_ probe: Probe, _ event: String, _ n: Int = 1) async throws {
    while probe.count(event) < n { try await Task.sleep(for: .milliseconds(1)) }
}

/// A gate that ignores cancellation (to make a child that does not stop when cancelled).
final class Latch: Sendable {
    struct S {
        var open = false
        var waiters: [CheckedContinuation<Void, Never>] = []
    }
    private let s = Mutex(S())
    func wait() async {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            let now = s.withLock { st -> Bool in
                if st.open { return true }
                st.waiters.append(c)
                return false
            }
            if now { c.resume() }
        }
    }
    func open() {
        let ws = s.withLock { st -> [CheckedContinuation<Void, Never>] in
            st.open = true
            defer { st.waiters = [] }
            return st.waiters
        }
        for w in ws { w.resume() }
    }
}

let fixed10 = BackoffPolicy(initial: .seconds(10), maximum: .seconds(10), jitter: 0)

/// A worker logging "start id"/"stop id"; incarnation n throws Boom once "go id" was recorded n times.
/// It reports READY only after logging its start, so the log follows the supervisor's start order.
func w3(_ id: String, _ probe: Probe, restart: RestartType = .permanent, significant: Bool = false) -> ChildSpec {
    .worker(id, restart: restart, significant: significant, readiness: .explicit(timeout: nil)) { context in
        probe.record("start \(id)")
        context.ready()
        let n = probe.count("start \(id)")
        do {
            while probe.count("go \(id)") < n { try await Task.sleep(for: .milliseconds(1)) }
        } catch {
            probe.record("stop \(id)")
            throw error
        }
        probe.record("crash \(id)")
        throw Boom()
    }
}

/// A supervisor whose one child, `crasher`, records "crash" and throws on every start: with
/// intensity `max` it gives up after `max + 1` crashes.
func crashingSupervisor(_ id: String = "inner", max: Int, _ probe: Probe) -> Supervisor {
    Supervisor(
        id: id, configuration: config(max: max), clock: ManualClock(), logger: quiet,
        children: [
            .worker("crasher") { _ in
                probe.record("crash")
                throw Boom()
            }
        ])
}

/// A root whose one child, `w`, records "start" and throws on every start, restarted after a
/// fixed `delay`, with at most `max` restarts in `period`.
func periodicCrasher(max: Int, period: Duration, delay: Duration, clock: ManualClock, _ probe: Probe) -> Supervisor {
    Supervisor(
        id: "root",
        configuration: config(
            max: max, period: period,
            backoff: BackoffPolicy(initial: delay, maximum: delay, jitter: 0, resetAfter: .seconds(3600))),
        clock: clock, logger: quiet,
        children: [
            .worker("w") { _ in
                probe.record("start")
                throw Boom()
            }
        ])
}
