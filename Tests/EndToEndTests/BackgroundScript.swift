import Foundation
import Synchronization

/// Steps (CLI calls, HTTP requests) run one after the other on a thread of their own while the
/// test does something else (e.g. kills the daemon at a random moment), each step's result
/// recorded by name. A body stops at its first failed step, as an operator's script would.
final class BackgroundScript: Sendable {
    private let results = Mutex<[(name: String, result: CommandResult)]>([])
    private let done = Mutex(false)

    /// Starts `body` at once on a thread of its own: not Dispatch's or Swift concurrency's
    /// pools, which the end-to-end suites' synchronous CLI calls can fill on a 2-core machine
    /// (a body that watches for something short-lived must not wait there for seconds).
    init(_ body: @escaping @Sendable (BackgroundScript) -> Void) {
        Thread.detachNewThread {
            body(self)
            self.done.withLock { $0 = true }
        }
    }

    /// Records a step's result (from the body).
    func record(_ name: String, _ result: CommandResult) {
        results.withLock { $0.append((name, result)) }
    }

    /// Runs `executable` (no shell) and records it; `false` if it failed (non-zero exit).
    @discardableResult
    func step(_ name: String, _ executable: String, _ arguments: [String], environment: [String: String]) -> Bool {
        let result =
            (try? runProgram(executable, arguments, environment: environment))
            ?? CommandResult(status: -1, stdout: "", stderr: "cannot run \(executable)")
        record(name, result)
        return result.status == 0
    }

    /// Whether the body has returned.
    var isDone: Bool { done.withLock { $0 } }

    /// Waits (polling) until the body has returned, at most `limit` (a broken run's bound).
    func wait(limit: Duration = .seconds(120)) async throws {
        try await waitUntil("a background script to end", limit: limit, every: .milliseconds(20)) { isDone }
    }

    /// Every step's result so far, in order.
    var steps: [(name: String, result: CommandResult)] { results.withLock { $0 } }
}
