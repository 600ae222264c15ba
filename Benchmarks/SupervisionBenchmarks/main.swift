// Supervision benchmarks (prints numbers; not a test). Run through `scripts/bench.sh supervision`.
//
//   SupervisionBenchmarks [NOTIFY_CHILD_BINARY [CRASHES]]   (an empty binary skips case 2)
//
// 1. 10,000 in-process crashes of a one_for_one child: latency from the throw to the new
//    incarnation running.
// 2. 200 SIGKILLs of a process-isolated child (a tiny C program that sends READY=1 through
//    its NOTIFY_SOCKET): latency from SIGKILL to the new process's READY.
import Foundation
import Logging
import Supervision
import Synchronization

let quiet = Logger(label: "bench", factory: { _ in SwiftLogNoOpLogHandler() })
let clock = ContinuousSupervisorClock()

/// Prints a human line and a machine line (`RESULT <case> n=… median_us=… p99_us=… min_us=…`,
/// read by scripts/bench-supervision.sh).
func report(_ name: String, key: String, _ samples: [Duration]) throws {
    guard !samples.isEmpty else { throw BenchmarkFailure("\(name): no samples") }
    let sorted = samples.sorted()
    func micro(_ d: Duration) -> String { String(format: "%.1f", d.seconds * 1e6) }
    let p99 = sorted[min(sorted.count - 1, Int(Double(sorted.count) * 0.99))]
    let median = sorted[sorted.count / 2]
    print("\(name): n=\(sorted.count) median \(micro(median)) µs, p99 \(micro(p99)) µs, min \(micro(sorted[0])) µs")
    print("RESULT \(key) n=\(sorted.count) median_us=\(micro(median)) p99_us=\(micro(p99)) min_us=\(micro(sorted[0]))")
}

/// Why a benchmark could not produce its numbers (printed; the exit status is 1).
struct BenchmarkFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

struct Crash: Error {}

final class CrashTimes: Sendable {
    let state = Mutex<(crashedAt: Duration?, samples: [Duration], done: Bool)>((nil, [], false))
}

func inProcessCrashes(count: Int) async throws {
    let times = CrashTimes()
    let sup = Supervisor(
        id: "bench",
        configuration: SupervisorConfiguration(
            intensity: RestartIntensity(maxRestarts: Int.max / 2, period: .seconds(3600)), backoff: .none),
        clock: clock, logger: quiet, events: EventLog(capacity: 16),
        children: [
            .worker("crasher") { _ in
                let now = clock.now
                let more = times.state.withLock { s -> Bool in
                    if let crashed = s.crashedAt { s.samples.append(now - crashed) }
                    if s.samples.count >= count {
                        s.done = true
                        return false
                    }
                    return true
                }
                guard more else { while true { try await Task.sleep(for: .seconds(3600)) } }
                times.state.withLock { $0.crashedAt = clock.now }
                throw Crash()  // an abnormal end
            }
        ])
    let run = Task { try await sup.run() }
    while !times.state.withLock({ $0.done }) { try await Task.sleep(for: .milliseconds(10)) }
    run.cancel()
    _ = try? await run.value
    try report("in-process crash → new instance running (\(count) crashes)", key: "inproc_crash", times.state.withLock { $0.samples })
}

func processKills(binary: String, count: Int) async throws {
    let runtime = FileManager.default.temporaryDirectory.appendingPathComponent("bench-\(getpid())").path
    let events = EventLog(capacity: 4096)
    let sup = Supervisor(
        id: "bench",
        configuration: SupervisorConfiguration(
            intensity: RestartIntensity(maxRestarts: Int.max / 2, period: .seconds(3600)), backoff: .none),
        clock: clock, logger: quiet, events: events,
        children: [.process("child", command: [binary, "ready"], runtimeDirectory: runtime, logger: quiet)])
    var readies = events.subscribe().filter { $0.kind == .ready && $0.path == "child" }.makeAsyncIterator()
    let run = Task { try await sup.run() }
    func stop() async {
        run.cancel()
        _ = try? await run.value
        try? FileManager.default.removeItem(atPath: runtime)
    }
    _ = await readies.next()
    var samples: [Duration] = []
    for round in 0..<count {
        // A running child always has its pid (ProcessChildTests); a child that is not running
        // (it ended on its own) is waited for a little, and a round without one is a failure.
        var pid: Int32?
        for _ in 0..<1_000 {
            let node = await sup.status().find(path: "child")
            if node?.state == .running, let known = node?.pid {
                pid = known
                break
            }
            try await Task.sleep(for: .milliseconds(1))
        }
        guard let pid else {
            await stop()
            throw BenchmarkFailure("process child not running with a pid in round \(round)")
        }
        let killedAt = clock.now
        kill(pid, SIGKILL)
        guard let ready = await readies.next() else {
            await stop()
            throw BenchmarkFailure("event stream ended in round \(round)")
        }
        samples.append(.seconds(ready.monotonicSeconds) - killedAt)
    }
    await stop()
    try report("process child SIGKILL → new process READY (\(count) kills)", key: "process_kill", samples)
}

do {
    let crashes = CommandLine.arguments.count > 2 ? Int(CommandLine.arguments[2]) ?? 10_000 : 10_000
    try await inProcessCrashes(count: crashes)
    if CommandLine.arguments.count > 1, !CommandLine.arguments[1].isEmpty {
        try await processKills(binary: CommandLine.arguments[1], count: 200)
    } else {
        print("(process-child benchmark skipped: pass the notify-child binary)")
    }
} catch {
    // A benchmark never traps: it says what failed and exits non-zero.
    FileHandle.standardError.write(Data("benchmark failed: \(error)\n".utf8))
    exit(1)
}
