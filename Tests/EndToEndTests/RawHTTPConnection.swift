import Foundation

/// A plain TCP connection to a local HTTP server, written to byte by byte: for requests a
/// client library cannot send (a body that stops halfway, headers without their body).
final class RawHTTPConnection {
    private let fd: Int32

    /// Connects to 127.0.0.1:`port`. A read waits at most `timeoutSeconds` (only so that a
    /// broken run fails instead of hanging; no assertion depends on it).
    init(port: Int, timeoutSeconds: Int = 120) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw HarnessError("socket: errno \(errno)") }
        var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
        guard connected else {
            Glibc.close(fd)
            throw HarnessError("connect to port \(port): errno \(errno)")
        }
    }

    deinit { Glibc.close(fd) }

    /// Sends a request head (`lines` joined with CRLF, then an empty line) and `body`.
    func send(head lines: [String], body: [UInt8] = []) throws {
        try send(Array((lines.joined(separator: "\r\n") + "\r\n\r\n").utf8) + body)
    }

    /// Sends `bytes`.
    func send(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { throw HarnessError("send: errno \(errno)") }
            offset += n
        }
    }

    /// Reads one response: status, headers (lower-case names) and body (by `Content-Length`).
    func response() throws -> (status: Int, headers: [String: String], body: String) {
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        func more() throws {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            guard n > 0 else { throw HarnessError("no response (recv returned \(n), errno \(errno))") }
            received += buffer[0..<n]
        }
        let separator: [UInt8] = [13, 10, 13, 10]
        var end: Int?
        while end == nil {
            try more()
            end = received.indices.dropLast(3).first { received[$0..<$0 + 4].elementsEqual(separator) }
        }
        let head = String(decoding: received[0..<end!], as: UTF8.self).components(separatedBy: "\r\n")
        let status = Int(head[0].split(separator: " ").dropFirst().first ?? "") ?? 0
        var headers: [String: String] = [:]
        for line in head.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        let length = Int(headers["content-length"] ?? "0") ?? 0
        while received.count < end! + 4 + length { try more() }
        return (status, headers, String(decoding: received[(end! + 4)..<(end! + 4 + length)], as: UTF8.self))
    }
}
