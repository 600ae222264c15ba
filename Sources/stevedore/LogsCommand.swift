import ArgumentParser
import Foundation
import LogStreamer
import Services

/// `stevedore logs NAME [SERVICE] [-f] [--since 10m|RFC3339] [--tail N] [--json]`: the
/// deployment's container logs as the log streamer wrote them (redacted), from the daemon's
/// files: never from Docker directly.
struct LogsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "logs", abstract: "Show a deployment's container logs (redacted), optionally following them.",
        discussion: """
            Lines come from deployments/NAME/logs/ under the state root, written by the daemon's \
            log streamer with secrets replaced by [REDACTED:KEY]. Each line shows Docker's \
            timestamp, the service, stdout/stderr and the text; a line split because it was \
            longer than the limit (16 KiB) or flushed before its newline ends with ' [continues]'. \
            --json prints one JSON object per line (time, service, stream, container, continues, text).
            """)

    @OptionGroup var options: ClientOptions
    @OptionGroup var deployment: DeploymentNameArgument
    @Argument(help: "Only this service (default: all).") var service: String?
    @Flag(name: [.customShort("f"), .long], help: "Keep printing new lines as they are written (across rotation).") var follow = false
    @Option(help: "Only lines from this time: a duration before now (30s, 10m, 2h, 1d) or RFC 3339 (2026-12-01T17:00:00Z).")
    var since: String?
    @Option(help: "Only the last N lines (0 to 1000000).") var tail: Int?
    @Flag(help: "Print one JSON object per line.") var json = false

    func validate() throws {
        if let since, LogTimestamp.since(since) == nil {
            throw ValidationError(
                "invalid --since '\(since)'; allowed: a duration before now like 30s, 10m, 2h, 1d, or an RFC 3339 time like 2026-12-01T17:00:00Z"
            )
        }
        if let tail, !(0...1_000_000).contains(tail) {
            throw ValidationError("invalid --tail \(tail); allowed: 0 to 1000000")
        }
        if let service, service.isEmpty || service.contains(",") || service.contains("/") {
            throw ValidationError("invalid service '\(service)'; give one Compose service name")
        }
    }

    func run() async throws {
        var query: [String] = []
        if let service { query.append("service=\(escaped(service))") }
        if let since { query.append("since=\(escaped(since))") }
        if let tail { query.append("tail=\(tail)") }
        if follow { query.append("follow=1") }
        let path = "/api/deployments/\(deployment.name)/logs" + (query.isEmpty ? "" : "?" + query.joined(separator: "&"))
        let decoder = JSONDecoder()
        let out = FileHandle.standardOutput
        var printed = 0
        try await options.client().lines(path) { line in
            guard !line.isEmpty else { return }
            if json {
                out.write(Data(line) + Data([0x0A]))
            } else {
                let entry = try decoder.decode(LogEntryView.self, from: Data(line))
                let marker = entry.continues ? " [continues]" : ""
                out.write(Data("\(entry.time) \(entry.service) \(entry.stream) \(entry.text)\(marker)\n".utf8))
            }
            printed += 1
        }
        if printed == 0, !json, !follow {
            FileHandle.standardError.write(
                Data(
                    "\(deployment.name): no log lines\(service.map { " for \($0)" } ?? "")\(since.map { " since \($0)" } ?? "") yet\n".utf8)
            )
        }
    }

    private func escaped(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~:")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }
}
