import Foundation
import Supervision
import Synchronization

/// Samples a workload's HTTP port every `interval` from a thread of its own (never the test's
/// cooperative pool, which the CLI calls block) and adds up the time it did not answer 200:
/// the workload downtime a drill reports. An outage runs from the first failed sample to the
/// next good one.
final class AppProbe: Sendable {
    struct Summary {
        var samples = 0
        var failedSamples = 0
        var outages = 0
        var downSeconds = 0.0
        var longestSeconds = 0.0
    }
    private struct State {
        var running = true
        var summary = Summary()
        var outageStart: ContinuousClock.Instant?
    }

    private let port: Int
    private let interval: Duration
    private let state = Mutex(State())
    private let finished = Mutex(false)

    init(port: Int, interval: Duration = .milliseconds(100)) {
        self.port = port
        self.interval = interval
    }

    func start() {
        let thread = Thread { [self] in
            let clock = ContinuousClock()
            while state.withLock({ $0.running }) {
                let ok = Self.answers200(port: port)
                let now = clock.now
                state.withLock { s in
                    s.summary.samples += 1
                    if ok {
                        if let start = s.outageStart {
                            let seconds = (now - start).seconds
                            s.summary.outages += 1
                            s.summary.downSeconds += seconds
                            s.summary.longestSeconds = max(s.summary.longestSeconds, seconds)
                            s.outageStart = nil
                        }
                    } else {
                        s.summary.failedSamples += 1
                        if s.outageStart == nil { s.outageStart = now }
                    }
                }
                Thread.sleep(forTimeInterval: interval.seconds)
            }
            finished.withLock { $0 = true }
        }
        thread.start()
    }

    /// Stops sampling; an outage still going is counted up to now.
    func stop() -> Summary {
        state.withLock { $0.running = false }
        while !finished.withLock({ $0 }) { Thread.sleep(forTimeInterval: 0.02) }
        return state.withLock { s in
            if let start = s.outageStart {
                let seconds = (ContinuousClock().now - start).seconds
                s.summary.outages += 1
                s.summary.downSeconds += seconds
                s.summary.longestSeconds = max(s.summary.longestSeconds, seconds)
                s.outageStart = nil
            }
            return s.summary
        }
    }

    /// One `GET /` over HTTP/1.0 with 1 s timeouts: whether the status line says 200.
    static func answers200(port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var timeout = timeval(tv_sec: 1, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
        guard connected else { return false }
        let request = Array("GET / HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n".utf8)
        guard request.withUnsafeBytes({ send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }) == request.count else { return false }
        var response: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 256)
        while response.count < 12 {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            guard n > 0 else { break }
            response += buffer[0..<n]
        }
        let status = String(decoding: response.prefix(12), as: UTF8.self)
        return status.hasPrefix("HTTP/1.") && status.hasSuffix(" 200")
    }
}
