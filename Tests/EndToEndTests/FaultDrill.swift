import Foundation
import Store
import Testing

/// Tools of the machine-level fault drills (issue 13): a sampler of the workload's
/// availability, the database's integrity check, and the `MEASURE` lines for the fault table.
enum FaultDrill {
    /// Asks `url` every 250 ms until stopped; counts answers and failures, and adds up the time
    /// between a failed sample and the next answered one (the downtime as a client sees it).
    final class Availability: @unchecked Sendable {
        private let lock = NSLock()
        private var answered = 0
        private var failed = 0
        private var downSince: ContinuousClock.Instant?
        private var down: Duration = .zero
        private var task: Task<Void, Never>?

        init(url: String, expect: @escaping @Sendable (String) -> Bool = { _ in true }) {
            task = Task { [self] in
                while !Task.isCancelled {
                    let reply = await httpGet(url)
                    let now = ContinuousClock.now
                    lock.withLock {
                        if let reply, reply.0 == 200, expect(reply.1) {
                            answered += 1
                            if let since = downSince { down += now - since }
                            downSince = nil
                        } else {
                            failed += 1
                            downSince = downSince ?? now
                        }
                    }
                    try? await Task.sleep(for: .milliseconds(250))
                }
            }
        }

        /// (answered, failed, downtime) so far.
        var counts: (answered: Int, failed: Int, downtime: Duration) {
            lock.withLock { (answered, failed, down + (downSince.map { ContinuousClock.now - $0 } ?? .zero)) }
        }

        func stop() { task?.cancel() }
    }

    /// The scenario's database, opened with its generated key (`system/db.key`, hex).
    static func database(_ scenario: Scenario) throws -> Connection {
        let hex = try String(contentsOfFile: scenario.root + "/system/db.key", encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let key = stride(from: 0, to: hex.count, by: 2).map { offset -> UInt8 in
            let start = hex.index(hex.startIndex, offsetBy: offset)
            return UInt8(hex[start..<hex.index(start, offsetBy: 2)], radix: 16) ?? 0
        }
        return try Connection(path: scenario.root + "/system/stevedore.db", key: key)
    }

    /// `PRAGMA integrity_check` of the scenario's database (daemon stopped or not), opened with
    /// its generated key: `ok` for an intact file.
    static func integrityCheck(_ scenario: Scenario) throws -> String {
        let connection = try database(scenario)
        defer { connection.close() }
        return try connection.query("PRAGMA integrity_check").map { $0.string(0) ?? "" }.joined(separator: "; ")
    }

    /// What was committed: every parameter (key = value) and every run (id, outcome) of the
    /// deployment, read from the database itself.
    static func committed(_ scenario: Scenario) throws -> (parameters: [String: String], runs: [Int64: String]) {
        let connection = try database(scenario)
        defer { connection.close() }
        var parameters: [String: String] = [:]
        for row in try connection.query("SELECT key, value FROM parameters WHERE deployment = ?", [.text(scenario.name)]) {
            parameters[row.string(0) ?? ""] = row.string(1) ?? ""
        }
        var runs: [Int64: String] = [:]
        for row in try connection.query("SELECT id, outcome FROM runs WHERE deployment = ?", [.text(scenario.name)]) {
            runs[row.int64(0) ?? 0] = row.string(1) ?? "open"
        }
        return (parameters, runs)
    }

    /// Parameters and finished runs of `before` missing or changed in `after`: lost data.
    static func lost(
        before: (parameters: [String: String], runs: [Int64: String]), after: (parameters: [String: String], runs: [Int64: String])
    )
        -> [String]
    {
        before.parameters.filter { after.parameters[$0.key] != $0.value }.map { "parameter \($0.key)" }
            + before.runs.filter { $0.value != "open" && after.runs[$0.key] != $0.value }.map { "run \($0.key) (\($0.value))" }
    }

    /// A `MEASURE` line for the fault table of issue 13 (one per fault and drill).
    static func measure(
        fault: String, injected: Int, survived: Int, downtime: Duration, lost: Int, reconverge: [Duration], note: String = ""
    ) {
        func seconds(_ d: Duration) -> String {
            String(format: "%.1f", Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18)
        }
        print(
            "MEASURE fault=\"\(fault)\" injected=\(injected) survived=\(survived) downtime_s=\(seconds(downtime)) data_lost=\(lost) "
                + "reconverge_s=\(reconverge.map(seconds).joined(separator: ","))" + (note.isEmpty ? "" : " note=\"\(note)\""))
    }

    /// Every node of the tree with its restart count, and the events of kinds that mean a
    /// repair (`hung`, `restarting`, `backoff`, `escalated`, `stuck`).
    static func repairs(_ scenario: Scenario) throws -> (restarts: Int, events: [String]) {
        func walk(_ node: [String: Any]) -> Int {
            (node["restarts_total"] as? Int ?? 0) + (node["children"] as? [[String: Any]] ?? []).reduce(0) { $0 + walk($1) }
        }
        let restarts = walk(try scenario.json("supervisor", "status") as? [String: Any] ?? [:])
        let events = try scenario.json("supervisor", "events", "--limit", "1024") as? [[String: Any]] ?? []
        let repairs = events.filter { ["hung", "restarting", "backoff", "escalated", "stuck"].contains($0["kind"] as? String ?? "") }
            .map { "\($0["path"] ?? "") \($0["kind"] ?? ""): \($0["detail"] ?? "")" }
        return (restarts, repairs)
    }
}
