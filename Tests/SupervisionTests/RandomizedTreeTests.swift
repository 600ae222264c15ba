import Foundation
import SeededRandom
import Synchronization
import Testing

@testable import Supervision

/// Picks trees and failures (SplitMix64, shared by the test targets).
typealias SeededGenerator = SplitMix

/// Instruments the workers of a random tree: live instances per path, and a mailbox through
/// which the test tells one incarnation to crash or return.
final class TreeInstrument: Sendable {
    enum Command: Sendable { case crash, exit }
    private struct State {
        var live: [String: Int] = [:]
        var starts: [String: Int] = [:]
        var violations: [String] = []
        var commands: [String: Command] = [:]
    }
    private let state = Mutex(State())

    func started(_ path: String) {
        state.withLock { s in
            s.live[path, default: 0] += 1
            s.starts[path, default: 0] += 1
            if s.live[path]! > 1 { s.violations.append("two live instances of \(path)") }
        }
    }
    func ended(_ path: String) { state.withLock { $0.live[path, default: 0] -= 1 } }
    func send(_ command: Command, to path: String) { state.withLock { $0.commands[path] = command } }
    func take(_ path: String) -> Command? { state.withLock { $0.commands.removeValue(forKey: path) } }
    var livePaths: [String] { state.withLock { $0.live.filter { $0.value > 0 }.map(\.key).sorted() } }
    var violations: [String] { state.withLock { $0.violations } }
    func starts(_ path: String) -> Int { state.withLock { $0.starts[path] ?? 0 } }
    var pendingCommands: Int { state.withLock { $0.commands.count } }
}

/// A random supervision tree and the facts needed to check it.
struct RandomTree {
    var root: Supervisor
    var intensities: [String: RestartIntensity] = [:]  // supervisor path → intensity
    var restartTypes: [String: RestartType] = [:]  // worker path → restart type
    var childOrder: [String: [String]] = [:]  // supervisor path → child paths in order

    static func make(seed: UInt64, clock: ManualClock, events: EventLog, instrument: TreeInstrument) -> RandomTree {
        var rng = SeededGenerator(state: seed)
        var tree = RandomTree(root: Supervisor(id: "x"))
        func supervisor(id: String, path: String, depth: Int) -> Supervisor {
            let strategy = [RestartStrategy.oneForOne, .oneForAll, .restForOne].randomElement(using: &rng)!
            let intensity = RestartIntensity(
                maxRestarts: Int.random(in: 1...6, using: &rng),
                period: .seconds(Int.random(in: 5...30, using: &rng)))
            tree.intensities[path] = intensity
            var children: [ChildSpec] = []
            for i in 0..<Int.random(in: 1...4, using: &rng) {
                let childID = "c\(i)"
                let childPath = path.isEmpty ? childID : "\(path)/\(childID)"
                tree.childOrder[path, default: []].append(childPath)
                if depth < 2, Int.random(in: 0..<4, using: &rng) == 0 {
                    let nested = supervisor(id: childID, path: childPath, depth: depth + 1)
                    children.append(.supervisor(nested, restart: [.permanent, .transient].randomElement(using: &rng)!))
                } else {
                    let restart = [RestartType.permanent, .transient, .temporary].randomElement(using: &rng)!
                    tree.restartTypes[childPath] = restart
                    children.append(
                        .worker(childID, restart: restart) { context in
                            instrument.started(context.path)
                            defer { instrument.ended(context.path) }
                            while true {
                                switch instrument.take(context.path) {
                                case .crash: throw Boom()
                                case .exit: return
                                case nil: try await Task.sleep(for: .milliseconds(1))
                                }
                            }
                        })
                }
            }
            return Supervisor(
                id: id, configuration: SupervisorConfiguration(strategy: strategy, intensity: intensity, backoff: .none, random: { 0.5 }),
                clock: clock, logger: quiet, events: events, children: children)
        }
        tree.root = supervisor(id: "root", path: "", depth: 0)
        return tree
    }
}

@Suite struct RandomizedTreeTests {
    /// Waits until the loop is idle and every worker the tree shows running has really
    /// started (its body ran), or the root has ended.
    func settle(_ tree: RandomTree, _ instrument: TreeInstrument, _ context: String) async throws {
        try await eventually("settled, \(context)") {
            let status = await tree.root.status()
            if status.state != .running { return true }
            guard await tree.root.isSettled() else { return false }
            let running = status.flattened.filter { $0.type == .worker && $0.state == .running }.map(\.path).sorted()
            return running == instrument.livePaths
        }
    }

    @Test(arguments: 0..<12)
    func invariantsHoldUnderRandomFailures(run: Int) async throws {
        let seed = ProcessInfo.processInfo.environment["STEVEDORE_SEED"].flatMap(UInt64.init) ?? UInt64.random(in: 0 ... .max)
        let clock = ManualClock()
        let events = EventLog(capacity: 100_000)
        let instrument = TreeInstrument()
        let tree = RandomTree.make(seed: seed, clock: clock, events: events, instrument: instrument)
        var rng = SeededGenerator(state: seed ^ 0xDEAD_BEEF)
        let context = "seed \(seed) (rerun with STEVEDORE_SEED=\(seed))"

        let running = Task { try await tree.root.run() }
        try await eventually("root running, \(context)") { await tree.root.status().state == .running }
        try await settle(tree, instrument, context)

        // Initial start order: each supervisor's children first start in spec order.
        for (sup, children) in tree.childOrder {
            let firstStarts = events.recent.filter { $0.kind == .started && children.contains($0.path) }.map(\.path)
            var seen: [String] = []
            for path in firstStarts where !seen.contains(path) { seen.append(path) }
            #expect(seen == children.filter { seen.contains($0) }, "start order under '\(sup)', \(context)")
        }

        var steps = 0
        for _ in 0..<40 {
            steps += 1
            let live = instrument.livePaths
            guard !live.isEmpty, !running.isCancelled else { break }
            if await tree.root.status().state != .running { break }
            let target = live.randomElement(using: &rng)!
            instrument.send(Int.random(in: 0..<5, using: &rng) == 0 ? .exit : .crash, to: target)
            try await eventually("command consumed, \(context)") {
                instrument.pendingCommands == 0 || !instrument.livePaths.contains(target)
            }
            try await settle(tree, instrument, context)
            clock.advance(by: .seconds(Int.random(in: 0...12, using: &rng)))
            #expect(instrument.violations.isEmpty, "\(instrument.violations), \(context)")
        }
        running.cancel()
        _ = try? await running.value
        if ProcessInfo.processInfo.environment["STEVEDORE_TRACE"] != nil {
            print("random tree \(context): \(steps) steps, \(events.totalCount) events, \(tree.restartTypes.count) workers")
        }

        // At most one live instance per child id, at all times.
        #expect(instrument.violations.isEmpty, "\(instrument.violations), \(context)")
        #expect(instrument.livePaths.isEmpty, "children left running after the root ended, \(context)")

        let log = events.recent
        // Never more than N restarts in any window of T without escalation: counted restarts
        // are `backoff` events of a supervisor's direct children, per incarnation of it.
        for (sup, intensity) in tree.intensities {
            let children = Set(tree.childOrder[sup] ?? [])
            var incarnations: [[Double]] = [[]]
            for event in log {
                if event.path == sup, event.kind == .started, !sup.isEmpty { incarnations.append([]) }
                if children.contains(event.path), event.kind == .backoff {
                    incarnations[incarnations.count - 1].append(event.monotonicSeconds)
                }
            }
            for stamps in incarnations {
                for (i, start) in stamps.enumerated() {
                    let inWindow = stamps[i...].prefix { $0 - start < intensity.period.seconds }.count
                    #expect(
                        inWindow <= intensity.maxRestarts, "'\(sup)' restarted \(inWindow) times within \(intensity.period), \(context)")
                }
            }
        }
        // Temporary children are never restarted: one start per incarnation of their parent.
        for (path, restart) in tree.restartTypes where restart == .temporary {
            let parent = path.split(separator: "/").dropLast().joined(separator: "/")
            let parentIncarnations = parent.isEmpty ? 1 : log.filter { $0.path == parent && $0.kind == .started }.count
            #expect(instrument.starts(path) <= max(parentIncarnations, 1), "temporary \(path) restarted, \(context)")
        }
    }
}
