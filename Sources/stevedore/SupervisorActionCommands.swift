import ArgumentParser
import Foundation
import Services
import Supervision

/// What `supervisor restart|stop|start` take.
struct SupervisorActionArguments: ParsableArguments {
    @OptionGroup var options: ClientOptions
    @Argument(help: "Node path, e.g. deployments/hello/poller (see `stevedore supervisor status`).")
    var path: String
    @Flag(help: "Print JSON.") var json = false

    /// `POST /api/supervisor/<action>` and prints the result.
    func act(_ action: String, done: String) async throws {
        let response: SupervisorActionResponse = try await options.client().post(
            "/api/supervisor/\(action)", body: SupervisorActionRequest(path: path, actor: cliActor()))
        if json { return try printJSON(response) }
        let state = response.node.map { " (now \($0.state.rawValue))" } ?? ""
        print("\(done) \(response.path)\(state)" + (response.note.map { ": \($0)" } ?? ""))
    }
}

/// `cli:<user>` for the event log.
func cliActor() -> String {
    let env = ProcessInfo.processInfo.environment
    let user =
        env["SUDO_USER"] ?? env["USER"] ?? getpwuid(getuid()).flatMap { String(validatingCString: $0.pointee.pw_name) } ?? "uid\(getuid())"
    return "cli:\(user)"
}

extension SupervisorCommand {
    struct Restart: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Stop and start one node (and its subtree) of the running tree; nothing else is touched.")
        @OptionGroup var arguments: SupervisorActionArguments
        func run() async throws { try await arguments.act("restart", done: "restarted") }
    }

    struct Stop: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Stop one node and keep it stopped until `supervisor start` (refused for root, http and health-watchdog).")
        @OptionGroup var arguments: SupervisorActionArguments
        func run() async throws { try await arguments.act("stop", done: "stopped") }
    }

    struct Start: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Start a node stopped by `supervisor stop`.")
        @OptionGroup var arguments: SupervisorActionArguments
        func run() async throws { try await arguments.act("start", done: "started") }
    }

    struct Fault: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Inject a fault into a running worker (drills and tests; the daemon must run with --fault-injection).",
            discussion: """
                throw: the worker fails and is restarted with backoff. hang: it stops heartbeating and is \
                restarted after the liveness deadline. ignore-cancellation: it stops heartbeating and ignores \
                cancellation, becomes stuck, and systemd restarts the daemon at WatchdogSec=. trap: the process \
                crashes and systemd restarts it. crash-loop: it fails now and on every start until `clear` \
                (a deployment's subtree gives up, backs off and is revived, docs/SUPERVISION.md). clear: ends \
                a crash loop at PATH.
                """)
        @OptionGroup var options: ClientOptions
        @Argument(help: "Worker path, e.g. deployments/hello/poller.") var path: String
        @Argument(help: "One of: \(InjectedFault.allowed).") var fault: String
        @Flag(help: "Print JSON.") var json = false

        func validate() throws {
            guard InjectedFault(rawValue: fault) != nil else {
                throw ValidationError("invalid fault '\(fault)': use \(InjectedFault.allowed)")
            }
        }

        func run() async throws {
            let response: FaultResponse = try await options.client().post(
                "/api/supervisor/fault", body: FaultRequest(path: path, fault: fault, actor: cliActor()))
            if json { return try printJSON(response) }
            print(
                response.fault == InjectedFault.clear.rawValue
                    ? "cleared the crash loop at \(response.path)" : "injected \(response.fault) into \(response.path)")
        }
    }
}
