import ArgumentParser
import Foundation
import Services
import Supervision

/// `stevedore supervisor status|restart|stop|start|fault`.
struct SupervisorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "supervisor", abstract: "Inspect the daemon's supervision tree and act on one subtree.",
        subcommands: [Status.self, Events.self, Restart.self, Stop.self, Start.self, Fault.self])

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the tree: state, restarts (in window/total), uptime, last exit, heartbeat age.")

        @OptionGroup var options: ClientOptions
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            let tree: NodeStatus = try await options.client().get("/api/supervisor")
            if json { return try printJSON(tree) }
            print(TreeRenderer.render(tree))
        }
    }
}

extension SupervisorCommand {
    struct Events: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the tree's recent events (starts, exits, restarts, hangs, admin actions), oldest first.")

        @OptionGroup var options: ClientOptions
        @Option(help: "How many events, 1-1024.") var limit = 50
        @Flag(help: "Print JSON.") var json = false

        func validate() throws {
            guard (1...1024).contains(limit) else { throw ValidationError("invalid --limit \(limit): use 1 to 1024") }
        }

        func run() async throws {
            let events: [SupervisorEvent] = try await options.client().get("/api/supervisor/events?limit=\(limit)")
            if json { return try printJSON(events) }
            let formatter = ISO8601DateFormatter()
            let rows = events.map { event in
                [
                    formatter.string(from: Date(timeIntervalSince1970: event.wallSeconds)),
                    event.path.isEmpty ? "root" : event.path, event.kind.rawValue, Table.oneLine(event.detail ?? ""),
                ]
            }
            print(Table.render(header: ["TIME", "NODE", "EVENT", "DETAIL"], rows: rows))
        }
    }
}

/// Renders a ``NodeStatus`` tree with box-drawing branches and aligned columns; long cells are
/// cut with `…`, and the full reason of every node that is not running normally follows the
/// table (`--json` has everything).
enum TreeRenderer {
    static func render(_ root: NodeStatus) -> String {
        var rows: [[String]] = []
        var reasons: [String] = []
        func cut(_ text: String, _ limit: Int) -> String {
            text.count <= limit ? text : String(text.prefix(limit - 1)) + "…"
        }
        func visit(_ node: NodeStatus, prefix: String, childPrefix: String) {
            let state = node.state.rawValue + (node.nextRestartInSeconds.map { " (in \(Table.duration($0)))" } ?? "")
            let detail = Table.oneLine([node.reason, node.status].compactMap { $0 }.joined(separator: "; "))
            let lastExit = node.lastExit.map { Table.oneLine($0) }
            rows.append([
                prefix + (node.path.isEmpty ? "root" : node.id), state, "\(node.restartsInWindow)/\(node.restartsTotal)",
                Table.duration(node.uptimeSeconds), lastExit.map { cut($0, 40) } ?? "-",
                Table.duration(node.lastHeartbeatAgeSeconds), detail.isEmpty ? "" : cut(detail, 80),
            ])
            if ![.running, .starting, .stopped].contains(node.state), let why = node.reason ?? lastExit,
                why.count > 40 || detail.count > 80
            {
                reasons.append("\(node.path.isEmpty ? "root" : node.path) \(node.state.rawValue): \(Table.oneLine(why))")
            }
            for (index, child) in node.children.enumerated() {
                let last = index == node.children.count - 1
                visit(child, prefix: childPrefix + (last ? "└── " : "├── "), childPrefix: childPrefix + (last ? "    " : "│   "))
            }
        }
        visit(root, prefix: "", childPrefix: "")
        let table = Table.render(header: ["NODE", "STATE", "RESTARTS", "UPTIME", "LAST EXIT", "HEARTBEAT", "DETAIL"], rows: rows)
        return reasons.isEmpty ? table : table + "\n\n" + reasons.joined(separator: "\n")
    }
}
