import Foundation
import Hummingbird
import LogStreamer
import NIOCore

/// `GET /api/deployments/NAME/logs` (docs/API.md): the deployment's log files as the log
/// streamer wrote them (redacted), as newline-delimited JSON (``LogEntryView``). Query:
/// `service=a,b` (default all), `since=10m|RFC3339`, `tail=N`, `follow=1` (keeps the answer
/// open and sends new lines as they are written, across rotation; a blank line every 15 s
/// while quiet).
extension AdminAPI {
    func addLogRoutes(to api: RouterGroup<BasicRequestContext>) {
        api.get("deployments/:name/logs") { request, context in
            let name = try name(context)
            _ = try await engine.deployment(name)
            let query = request.uri.queryParameters
            let directory = engine.root.logs(name)
            let services = (query.get("service") ?? "").split(separator: ",").map(String.init)
            let present = LogFileSet.services(in: directory)
            for service in services where !present.contains(service) {
                throw APIError(
                    .notFound,
                    "no logs for service '\(service)' of \(name); services with logs: \(present.isEmpty ? "none yet" : present.joined(separator: ", "))"
                )
            }
            var since: LogTimestamp?
            if let text = query.get("since"), !text.isEmpty {
                guard let parsed = LogTimestamp.since(String(text)) else {
                    throw APIError(
                        .badRequest,
                        "invalid since '\(text)'; allowed: a duration before now like 30s, 10m, 2h, 1d, or an RFC 3339 time like 2026-12-01T17:00:00Z"
                    )
                }
                since = parsed
            }
            var tail: Int?
            if let text = query.get("tail"), !text.isEmpty {
                guard let n = Int(text), (0...1_000_000).contains(n) else {
                    throw APIError(.badRequest, "invalid tail '\(text)'; allowed: a whole number from 0 to 1000000")
                }
                tail = n
            }
            let follow = try Validation.flag(query.get("follow").map { String($0) }, name: "follow")
            let reader = LogReader(directory: directory, services: services, since: since, tail: tail)
            let box = ReaderBox(reader)
            return Response(
                status: .ok, headers: [.contentType: "application/x-ndjson"],
                body: ResponseBody { writer in
                    let encoder = APICoding.encoder()
                    func encode(_ entries: [LogReader.Entry]) throws -> ByteBuffer {
                        var data = Data()
                        for entry in entries {
                            data.append(try encoder.encode(LogEntryView(entry)))
                            data.append(0x0A)
                        }
                        return ByteBuffer(bytes: data)
                    }
                    while true {
                        let batch = box.reader.nextBatch()
                        if batch.isEmpty { break }
                        try await writer.write(try encode(batch))
                    }
                    if follow {
                        var quiet = 0
                        while !Task.isCancelled {
                            try await Task.sleep(for: .milliseconds(250))
                            let entries = box.reader.follow()
                            if entries.isEmpty {
                                quiet += 1
                                if quiet >= 60 {  // 15 s: a blank line finds a client that left
                                    quiet = 0
                                    try await writer.write(ByteBuffer(bytes: [0x0A]))
                                }
                                continue
                            }
                            quiet = 0
                            try await writer.write(try encode(entries))
                        }
                    }
                    try await writer.finish(nil)
                })
        }
    }
}

/// Carries the (non-Sendable) reader into the response body closure; only that closure uses it.
private final class ReaderBox: @unchecked Sendable {
    let reader: LogReader
    init(_ reader: LogReader) { self.reader = reader }
}
