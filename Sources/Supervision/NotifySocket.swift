import Dispatch
import Foundation
import Synchronization

/// One datagram of the sd_notify protocol: newline-separated `KEY=VALUE` assignments
/// (sd_notify(3)), e.g. `READY=1\nSTATUS=listening`.
public struct NotifyMessage: Sendable, Equatable {
    /// Assignments in the order sent. Lines without `=` are dropped, as systemd does.
    public var assignments: [(key: String, value: String)]

    /// Parses a datagram; invalid UTF-8 is replaced, empty lines are ignored.
    public init(datagram: [UInt8]) {
        let text = String(decoding: datagram, as: UTF8.self)
        assignments = text.split(separator: "\n", omittingEmptySubsequences: true).compactMap { line in
            guard let eq = line.firstIndex(of: "=") else { return nil }
            return (String(line[..<eq]), String(line[line.index(after: eq)...]))
        }
    }

    /// The last value of `key`, if sent.
    public subscript(key: String) -> String? { assignments.last { $0.key == key }?.value }

    /// `READY=1`: start-up finished.
    public var isReady: Bool { self["READY"] == "1" }
    /// `WATCHDOG=1`: a liveness ping.
    public var isWatchdog: Bool { self["WATCHDOG"] == "1" }
    /// `WATCHDOG=trigger`: the sender asks to be treated as hung.
    public var isWatchdogTrigger: Bool { self["WATCHDOG"] == "trigger" }
    /// `STOPPING=1`: the sender is shutting down.
    public var isStopping: Bool { self["STOPPING"] == "1" }
    /// `STATUS=…`: a one-line status.
    public var status: String? { self["STATUS"] }

    /// Equal when the same assignments were sent in the same order.
    public static func == (a: NotifyMessage, b: NotifyMessage) -> Bool {
        a.assignments.map { "\($0.key)=\($0.value)" } == b.assignments.map { "\($0.key)=\($0.value)" }
    }
}

/// Errors of ``NotifySocket``.
public enum NotifySocketError: Error, Sendable, CustomStringConvertible {
    /// A socket call failed; `call` names it.
    case system(call: String, path: String, errno: Int32)
    /// The path does not fit in `sockaddr_un.sun_path` (107 bytes).
    case pathTooLong(String)

    public var description: String {
        switch self {
        case let .system(call, path, code): return "\(call) on notify socket \(path) failed: \(String(cString: strerror(code)))"
        case .pathTooLong(let path): return "notify socket path too long (max 107 bytes): \(path)"
        }
    }
}

/// The *receiving* side of the sd_notify protocol (sd_notify(3)): a unix datagram socket a
/// child is given as `NOTIFY_SOCKET`. Datagrams arrive on ``messages``.
///
/// `path` is a filesystem path (created with mode 0600; an existing socket file there is
/// replaced) or, starting with `@`, a Linux abstract socket name.
public final class NotifySocket: @unchecked Sendable {
    /// The address to put in `NOTIFY_SOCKET`.
    public let path: String
    /// Every datagram received, until ``close()``.
    public let messages: AsyncStream<NotifyMessage>
    private let fd: Int32
    private let source: any DispatchSourceRead
    private let closed = Mutex(false)
    private let queue: DispatchQueue
    private let drain: @Sendable () -> Void

    /// Largest datagram read; longer ones are truncated (systemd accepts at most about 4 KiB
    /// of meaningful state).
    public static let maximumDatagram = 64 * 1024

    /// Binds the socket and starts receiving.
    ///
    /// - Throws: ``NotifySocketError``.
    public init(path: String) throws {
        self.path = path
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        guard fd >= 0 else { throw NotifySocketError.system(call: "socket", path: path, errno: errno) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let abstract = path.hasPrefix("@")
        var bytes = Array(path.utf8)
        if abstract { bytes[0] = 0 } else { unlink(path) }
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard bytes.count < capacity else {
            Foundation.close(fd)
            throw NotifySocketError.pathTooLong(path)
        }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: bytes)
        }
        let length = socklen_t(MemoryLayout<sa_family_t>.size + bytes.count + (abstract ? 0 : 1))
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
        }
        guard bound == 0 else {
            let code = errno
            Foundation.close(fd)
            throw NotifySocketError.system(call: "bind", path: path, errno: code)
        }
        if !abstract { chmod(path, 0o600) }
        self.fd = fd
        let (stream, continuation) = AsyncStream.makeStream(of: NotifyMessage.self)
        messages = stream
        let queue = DispatchQueue(label: "stevedore.notify")
        let drain: @Sendable () -> Void = {
            var buffer = [UInt8](repeating: 0, count: NotifySocket.maximumDatagram)
            while true {
                let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
                if n < 0 { break }  // EAGAIN: drained
                continuation.yield(NotifyMessage(datagram: Array(buffer[0..<n])))
            }
        }
        let source = DispatchSource.makeReadSource(fileDescriptor: fd, queue: queue)
        source.setEventHandler(handler: drain)
        self.queue = queue
        self.drain = drain
        source.setCancelHandler {
            continuation.finish()
            Foundation.close(fd)
        }
        self.source = source
        source.resume()
    }

    /// Delivers the datagrams already received, then stops receiving, closes the socket and
    /// removes its file; ``messages`` ends after the last one. Idempotent.
    public func close() {
        let first = closed.withLock { c -> Bool in
            defer { c = true }
            return !c
        }
        guard first else { return }
        // Datagrams sent just before the sender exited are still delivered to ``messages``.
        queue.sync(execute: drain)
        source.cancel()
        if !path.hasPrefix("@") { unlink(path) }
    }

    deinit { close() }
}
