import ArgumentParser
import Services
import Supervision

/// `stevedore supervisor status|restart|stop|start|fault`.
struct SupervisorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "supervisor", abstract: "Inspect the daemon's supervision tree and act on one subtree.",
        subcommands: [Status.self, Restart.self, Stop.self, Start.self, Fault.self])

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

/// Renders a ``NodeStatus`` tree with box-drawing branches and aligned columns.
enum TreeRenderer {
    static func render(_ root: NodeStatus) -> String {
        var rows: [[String]] = []
        func visit(_ node: NodeStatus, prefix: String, childPrefix: String) {
            let state = node.state.rawValue + (node.nextRestartInSeconds.map { " (in \(Table.duration($0)))" } ?? "")
            let detail = Table.oneLine([node.reason, node.status].compactMap { $0 }.joined(separator: "; "))
            rows.append([
                prefix + (node.path.isEmpty ? "root" : node.id), state, "\(node.restartsInWindow)/\(node.restartsTotal)",
                Table.duration(node.uptimeSeconds), node.lastExit.map { String(Table.oneLine($0).prefix(40)) } ?? "-",
                Table.duration(node.lastHeartbeatAgeSeconds), detail.isEmpty ? "" : String(detail.prefix(80)),
            ])
            for (index, child) in node.children.enumerated() {
                let last = index == node.children.count - 1
                visit(child, prefix: childPrefix + (last ? "└── " : "├── "), childPrefix: childPrefix + (last ? "    " : "│   "))
            }
        }
        visit(root, prefix: "", childPrefix: "")
        return Table.render(header: ["NODE", "STATE", "RESTARTS", "UPTIME", "LAST EXIT", "HEARTBEAT", "DETAIL"], rows: rows)
    }
}
