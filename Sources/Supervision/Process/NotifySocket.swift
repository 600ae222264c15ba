import Dispatch
import Foundation
import Synchronization

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
