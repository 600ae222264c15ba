import Docker
import Foundation

/// One message on the log streamer's control pipe (its standard input, inherited from the
/// daemon): a 4-byte big-endian length, then that many bytes of JSON.
public enum LogStreamerMessage: Codable, Sendable, Equatable {
    /// The whole configuration, replacing the previous one.
    case configure(LogStreamerConfiguration)
    /// A drill: the streamer acts out the fault (`trap`, `throw`, `hang`,
    /// `ignore-cancellation`) in its own process (`stevedore supervisor fault log-streamer …`).
    case fault(String)

    /// Largest message accepted: 16 MiB.
    public static let maximumLength = 16 * 1024 * 1024

    /// The framed bytes.
    ///
    /// - Throws: `EncodingError` (not for these types in practice).
    public func framed() throws -> [UInt8] {
        let body = try JSONEncoder().encode(self)
        let n = UInt32(body.count)
        return [UInt8(n >> 24), UInt8((n >> 16) & 0xFF), UInt8((n >> 8) & 0xFF), UInt8(n & 0xFF)] + Array(body)
    }
}

/// Reassembles ``LogStreamerMessage``s from the control pipe's bytes.
public struct LogStreamerMessageReader: Sendable {
    private var buffer: [UInt8] = []

    /// An empty reader.
    public init() {}

    /// A frame that cannot be a message.
    public struct InvalidMessage: Error, CustomStringConvertible {
        /// Why.
        public var description: String
    }

    /// The error that ended the stream, if one did: every later ``feed(_:)`` throws it.
    public private(set) var failure: InvalidMessage?

    /// Adds bytes read and returns the messages now complete. The messages before a bad frame
    /// are returned; the bad frame sets ``failure``, thrown at once when no message came
    /// before it.
    ///
    /// - Throws: ``InvalidMessage`` for a length over ``LogStreamerMessage/maximumLength`` or
    ///   a body that is not a message (checked from the 4 length bytes: nothing is buffered
    ///   for a length over the limit).
    public mutating func feed(_ bytes: ArraySlice<UInt8>) throws -> [LogStreamerMessage] {
        if let failure { throw failure }
        buffer.append(contentsOf: bytes)
        var messages: [LogStreamerMessage] = []
        var start = 0
        while buffer.count - start >= 4 {
            let length = Int(buffer[start]) << 24 | Int(buffer[start + 1]) << 16 | Int(buffer[start + 2]) << 8 | Int(buffer[start + 3])
            guard length <= LogStreamerMessage.maximumLength else {
                return try fail(
                    InvalidMessage(description: "control message of \(length) bytes (at most \(LogStreamerMessage.maximumLength))"),
                    after: messages)
            }
            guard buffer.count - start - 4 >= length else { break }
            let body = Data(buffer[(start + 4)..<(start + 4 + length)])
            do {
                messages.append(try JSONLimits.decode(LogStreamerMessage.self, from: body))
            } catch {
                return try fail(InvalidMessage(description: "control message is not valid: \(error)"), after: messages)
            }
            start += 4 + length
        }
        buffer.removeFirst(start)
        return messages
    }

    private mutating func fail(_ error: InvalidMessage, after messages: [LogStreamerMessage]) throws -> [LogStreamerMessage] {
        failure = error
        buffer = []
        if messages.isEmpty { throw error }
        return messages
    }
}
