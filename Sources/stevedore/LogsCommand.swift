import ArgumentParser
import Foundation
import LogStreamer
import Services

/// `stevedore logs NAME [SERVICE...] [-f] [--since 10m|RFC3339] [--tail N] [--json]`: the
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
    @Argument(help: "Only these services (default: all).") var services: [String] = []
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
        for service in services where service.isEmpty || service.contains(",") || service.contains("/") {
            throw ValidationError("invalid service '\(service)'; give Compose service names, separated by spaces")
        }
    }

    func run() async throws {
        var query: [String] = []
        if !services.isEmpty { query.append("service=\(services.map(escaped).joined(separator: ","))") }
        if let since { query.append("since=\(escaped(since))") }
        if let tail { query.append("tail=\(tail)") }
        if follow { query.append("follow=1") }
        let path = "/api/deployments/\(deployment.name)/logs" + (query.isEmpty ? "" : "?" + query.joined(separator: "&"))
        let decoder = JSONDecoder()
        // `stevedore logs … | head` closes the pipe early: stop quietly (exit 0), as `cat` does.
        signal(SIGPIPE, SIG_IGN)
        let terminal = isatty(1) == 1
        var printed = 0
        do {
            try await options.client().lines(path) { line in
                guard !line.isEmpty else { return }
                if json {
                    try Self.write(Array(line) + [0x0A])
                } else {
                    let entry = try decoder.decode(LogEntryView.self, from: Data(line))
                    let marker = entry.continues ? " [continues]" : ""
                    // On a terminal, control characters a container printed (escape sequences,
                    // carriage returns) are shown, not obeyed.
                    let text = terminal ? Self.visible(entry.text) : entry.text
                    try Self.write(Array("\(entry.time) \(entry.service) \(entry.stream) \(text)\(marker)\n".utf8))
                }
                printed += 1
            }
        } catch is BrokenPipe {
            return
        }
        if printed == 0, !json, !follow {
            FileHandle.standardError.write(
                Data(
                    "\(deployment.name): no log lines\(services.isEmpty ? "" : " for \(services.joined(separator: ", "))")\(since.map { " since \($0)" } ?? "") yet\n"
                        .utf8))
        }
    }

    private struct BrokenPipe: Error {}

    /// Writes all of `bytes` to standard output.
    ///
    /// - Throws: ``BrokenPipe`` when the reader is gone (EPIPE).
    private static func write(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { Foundation.write(1, $0.baseAddress! + offset, bytes.count - offset) }
            if n < 0 {
                if errno == EINTR { continue }
                throw BrokenPipe()
            }
            offset += n
        }
    }

    /// `text` with C0 control characters other than tab, and DEL, shown as `\xNN`.
    static func visible(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: { ($0.value < 0x20 && $0 != "\t") || $0.value == 0x7F }) else { return text }
        var out = ""
        for scalar in text.unicodeScalars {
            if (scalar.value < 0x20 && scalar != "\t") || scalar.value == 0x7F {
                out += String(format: "\\x%02x", scalar.value)
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    private func escaped(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~:")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }
}
