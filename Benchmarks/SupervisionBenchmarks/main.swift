// Supervision benchmarks (prints numbers; not a test). Run through `scripts/bench.sh supervision`.
//
//   SupervisionBenchmarks [NOTIFY_CHILD_BINARY]
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

func report(_ name: String, _ samples: [Duration]) {
    let sorted = samples.sorted()
    func micro(_ d: Duration) -> String { String(format: "%.1f µs", d.seconds * 1e6) }
    let p99 = sorted[min(sorted.count - 1, Int(Double(sorted.count) * 0.99))]
    print("\(name): n=\(sorted.count) median \(micro(sorted[sorted.count / 2])), p99 \(micro(p99)), min \(micro(sorted[0]))")
}

final class CrashTimes: Sendable {
    let state = Mutex<(crashedAt: Duration?, samples: [Duration], done: Bool)>((nil, [], false))
}

func inProcessCrashes(count: Int) async throws {
    let times = CrashTimes()
    let sup = Supervisor(
        id: "bench",
        configuration: SupervisorConfiguration(intensity: RestartIntensity(maxRestarts: Int.max / 2, period: .seconds(3600)), backoff: .none),
        clock: clock, logger: quiet, events: EventLog(capacity: 16),
        children: [
            .worker("crasher") { _ in
                let now = clock.now
                let more = times.state.withLock { s -> Bool in
                    if let crashed = s.crashedAt { s.samples.append(now - crashed) }
                    if s.samples.count >= count { s.done = true; return false }
                    return true
                }
                guard more else { while true { try await Task.sleep(for: .seconds(3600)) } }
                times.state.withLock { $0.crashedAt = clock.now }
                throw CancellationError()  // any error: an abnormal end
            },
        ])
    let run = Task { try await sup.run() }
    while !times.state.withLock({ $0.done }) { try await Task.sleep(for: .milliseconds(10)) }
    run.cancel()
    _ = try? await run.value
    report("in-process crash → new instance running (\(count) crashes)", times.state.withLock { $0.samples })
}

func processKills(binary: String, count: Int) async throws {
    let runtime = FileManager.default.temporaryDirectory.appendingPathComponent("bench-\(getpid())").path
    let events = EventLog(capacity: 4096)
    let sup = Supervisor(
        id: "bench",
        configuration: SupervisorConfiguration(intensity: RestartIntensity(maxRestarts: Int.max / 2, period: .seconds(3600)), backoff: .none),
        clock: clock, logger: quiet, events: events,
        children: [.process("child", command: [binary, "ready"], runtimeDirectory: runtime, logger: quiet)])
    var readies = events.subscribe().filter { $0.kind == .ready && $0.path == "child" }.makeAsyncIterator()
    let run = Task { try await sup.run() }
    _ = await readies.next()
    var samples: [Duration] = []
    for _ in 0..<count {
        guard let pid = await sup.status().find(path: "child")?.pid else { throw CancellationError() }
        let killedAt = clock.now
        kill(pid, SIGKILL)
        guard let ready = await readies.next() else { break }
        samples.append(.seconds(ready.monotonicSeconds) - killedAt)
    }
    run.cancel()
    _ = try? await run.value
    try? FileManager.default.removeItem(atPath: runtime)
    report("process child SIGKILL → new process READY (\(count) kills)", samples)
}

try await inProcessCrashes(count: 10_000)
if CommandLine.arguments.count > 1 {
    try await processKills(binary: CommandLine.arguments[1], count: 200)
} else {
    print("(process-child benchmark skipped: pass the notify-child binary)")
}
