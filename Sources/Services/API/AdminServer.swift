import Foundation
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1
import ServiceLifecycle

/// The admin API's HTTP/1.1 server: the ``AdminAPI`` router on Hummingbird's HTTP server
/// (HummingbirdCore), run as a swift-service-lifecycle `Service` (a graceful shutdown lets
/// requests in flight finish).
///
/// It does what Hummingbird's `Application.run()` does for a request — the router's answer,
/// a 500 for an error no middleware turned into a response, the `Date` and `Server` headers —
/// but without `Application`'s date cache: a task that formats the `Date` header every second
/// (and wakes the daemon 60 times a minute, about a third of its idle wake-ups, for an API
/// that answers a few requests a day). Here the header is formatted per response.
public struct AdminServer: Service {
    private let responder: RouterResponder<BasicRequestContext>
    private let host: String
    private let port: Int
    private let serverName: String
    private let onServerRunning: @Sendable (any Channel) async -> Void
    private let logger: Logger

    /// A malformed request noticed while its response was being written: the connection is
    /// closed (a `400` cannot follow a response already begun).
    enum WriteError: Error {
        case malformedRequestWhileResponding
    }

    /// - Parameters:
    ///   - router: the routes (``AdminAPI/router()``).
    ///   - host: the address to bind, e.g. `0.0.0.0` or `127.0.0.1`.
    ///   - port: the TCP port, 0 to 65535 (0: any free port).
    ///   - serverName: the `Server` header of every response.
    ///   - onServerRunning: called once the socket is bound and listening.
    ///   - logger: the server's log.
    public init(
        router: Router<BasicRequestContext>, host: String, port: Int, serverName: String = "stevedore",
        onServerRunning: @escaping @Sendable (any Channel) async -> Void = { _ in }, logger: Logger
    ) {
        self.responder = router.buildResponder()
        self.host = host
        self.port = port
        self.serverName = serverName
        self.onServerRunning = onServerRunning
        self.logger = logger
    }

    /// Binds and serves until cancelled or shut down gracefully.
    ///
    /// - Throws: the bind's error (address in use, not available), `CancellationError`.
    public func run() async throws {
        let responder = self.responder
        let (logger, serverName) = (self.logger, self.serverName)
        let server = try HTTPServerBuilder.http1().buildServer(
            configuration: ServerConfiguration(address: .hostname(host, port: port), serverName: serverName),
            eventLoopGroup: DaemonEventLoops.group, logger: logger,
            responder: { (request, responseWriter: consuming ResponseWriter, channel) in
                let context = BasicRequestContext(source: ApplicationRequestContextSource(channel: channel, logger: logger))
                var response: Response
                do {
                    response = try await responder.respond(to: request, context: context)
                } catch let error as HTTPParserError {
                    throw error
                } catch {
                    logger.debug("unhandled error in a route", metadata: ["error": "\(error)"])
                    response = Response(status: .internalServerError)
                }
                response.headers[.date] = Self.httpDate(time(nil))
                response.headers[.server] = serverName
                do {
                    try await responseWriter.write(response: response.head, body: response.body)
                } catch is HTTPParserError {
                    throw WriteError.malformedRequestWhileResponding
                }
            },
            onServerRunning: onServerRunning)
        try await server.run()
    }

    /// An HTTP date (RFC 9110 §5.6.7, IMF-fixdate), e.g. `Sun, 06 Nov 1994 08:49:37 GMT`, of
    /// `seconds` since the epoch (UTC).
    static func httpDate(_ seconds: time_t) -> String {
        var clock = seconds
        var parts = tm()
        guard gmtime_r(&clock, &parts) != nil else { return "Thu, 01 Jan 1970 00:00:00 GMT" }
        let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        func two(_ n: Int32) -> String { n < 10 ? "0\(n)" : "\(n)" }
        let day = days[Int(parts.tm_wday) % 7]
        let month = months[Int(parts.tm_mon) % 12]
        return
            "\(day), \(two(parts.tm_mday)) \(month) \(parts.tm_year + 1900) \(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec)) GMT"
    }
}
