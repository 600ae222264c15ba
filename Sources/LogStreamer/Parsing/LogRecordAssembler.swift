import Docker
import Redaction

/// Turns one container's log stream (the messages of ``LogFrameDemuxer``, each beginning with
/// the engine's `timestamps=1` prefix) into redacted ``LogRecord``s.
///
/// - A line is whatever ends in a newline, even across messages: the engine splits a long
///   line into 16 KiB messages (`partial` in its log drivers); they are joined again here.
/// - A line longer than ``maximumLineLength`` is written in pieces of that length, each but
///   the last marked as continuing (``LogRecord/continues``): memory stays bounded whatever
///   a container prints.
/// - Redaction is streaming (``RedactingStream``, one per stream): a secret split across two
///   messages or two reads is still caught. ``flushIdle()`` writes out a line left without
///   a newline (a prompt), marked as continuing.
/// - A record's timestamp is that of the message in which its line began.
///
/// Untrusted input: no byte sequence traps; a message without a valid timestamp gets the
/// previous one of its stream (or now).
public struct LogRecordAssembler: Sendable {
    /// Longest record text, in bytes (default 16 KiB, the engine's own message size).
    public let maximumLineLength: Int
    /// The 12-character short id written in every record.
    public let container: String
    private var rules: RedactionRules
    private var states: [StreamState]
    private var current = 0

    private struct StreamState: Sendable {
        var redactor: RedactingStream
        /// Bytes of the current message's timestamp prefix, until its space.
        var prefix: [UInt8] = []
        var inPrefix = false
        var messageTimestamp: [UInt8]? = nil
        var line: [UInt8] = []
        var lineTimestamp: [UInt8]? = nil
    }

    /// Longest timestamp prefix accepted before the bytes are taken as text.
    static let maximumPrefix = 40

    /// - Parameters:
    ///   - container: the container's id (its first 12 characters are used).
    ///   - rules: the secrets in force.
    ///   - maximumLineLength: bytes; at least 64.
    public init(container: String, rules: RedactionRules, maximumLineLength: Int = 16 * 1024) {
        self.container = String(container.prefix(12))
        self.rules = rules
        self.maximumLineLength = max(64, maximumLineLength)
        states = [StreamState(redactor: RedactingStream(rules: rules)), StreamState(redactor: RedactingStream(rules: rules))]
    }

    /// Replaces the secrets: in force from the next byte fed.
    public mutating func setRules(_ rules: RedactionRules) {
        guard rules !== self.rules else { return }
        self.rules = rules
        for i in states.indices { states[i].redactor.rules = rules }
    }

    /// Bytes taken but not yet written as a record (held back for redaction, or a line
    /// without its newline yet).
    public var pendingBytes: Int { states.reduce(0) { $0 + $1.redactor.heldBack + $1.line.count + $1.prefix.count } }

    /// Takes one demultiplexer event; complete records go to `emit`.
    public mutating func take(_ event: LogFrameDemuxer.Event, _ emit: (LogRecord) -> Void) {
        switch event {
        case .start(let stream):
            current = stream == .stderr ? 1 : 0
            states[current].inPrefix = true
            states[current].prefix.removeAll(keepingCapacity: true)
        case .bytes(let bytes):
            var rest = bytes
            if states[current].inPrefix {
                if let space = rest.firstIndex(of: 0x20), states[current].prefix.count + (space - rest.startIndex) <= Self.maximumPrefix,
                    let stamp = LogTimestamp.canonicalBytes(
                        states[current].prefix.isEmpty ? rest[..<space] : (states[current].prefix + rest[..<space])[...])
                {
                    rest = rest[(space + 1)...]
                    states[current].inPrefix = false
                    states[current].prefix.removeAll(keepingCapacity: true)
                    states[current].messageTimestamp = stamp
                } else if states[current].prefix.count + rest.count <= Self.maximumPrefix, !rest.contains(0x0A) {
                    states[current].prefix.append(contentsOf: rest)
                    return
                } else {
                    // No timestamp: the bytes are text.
                    let taken = states[current].prefix
                    endPrefix(valid: false)
                    if !taken.isEmpty { feedText(taken[...], emit) }
                }
            }
            feedText(rest, emit)
        case .end:
            if states[current].inPrefix {
                let taken = states[current].prefix
                endPrefix(valid: false)
                if !taken.isEmpty { feedText(taken[...], emit) }
            }
        }
    }

    private mutating func endPrefix(valid: Bool) {
        let stamp = valid ? LogTimestamp.canonicalBytes(states[current].prefix[...]) : nil
        states[current].inPrefix = false
        states[current].prefix.removeAll(keepingCapacity: true)
        if let stamp {
            states[current].messageTimestamp = stamp
        } else if states[current].messageTimestamp == nil {
            states[current].messageTimestamp = Array(LogTimestamp.now().text.utf8)
        }
    }

    private mutating func feedText(_ bytes: ArraySlice<UInt8>, _ emit: (LogRecord) -> Void) {
        guard !bytes.isEmpty else { return }
        let s = current
        if states[s].line.isEmpty, states[s].redactor.heldBack == 0, states[s].lineTimestamp == nil {
            states[s].lineTimestamp = states[s].messageTimestamp
        }
        let released = states[s].redactor.feed(bytes)
        append(released[...], stream: s, emit)
        // The redactor holds back an unfinished line's tail; the next line starts in this message.
        if states[s].line.isEmpty, states[s].redactor.heldBack > 0, states[s].lineTimestamp == nil {
            states[s].lineTimestamp = states[s].messageTimestamp
        }
    }

    private mutating func append(_ released: ArraySlice<UInt8>, stream s: Int, _ emit: (LogRecord) -> Void) {
        var rest = released
        while !rest.isEmpty {
            let room = maximumLineLength - states[s].line.count
            if let newline = rest.prefix(room + 1).firstIndex(of: 0x0A) {
                states[s].line.append(contentsOf: rest[..<newline])
                emitLine(stream: s, continues: false, emit)
                rest = rest[(newline + 1)...]
                if !rest.isEmpty || states[s].redactor.heldBack > 0 { states[s].lineTimestamp = states[s].messageTimestamp }
            } else if rest.count >= room {
                states[s].line.append(contentsOf: rest.prefix(room))
                rest = rest.dropFirst(room)
                emitLine(stream: s, continues: true, emit)
                states[s].lineTimestamp = states[s].messageTimestamp
            } else {
                states[s].line.append(contentsOf: rest)
                rest = rest[rest.endIndex...]
            }
        }
    }

    private mutating func emitLine(stream s: Int, continues: Bool, _ emit: (LogRecord) -> Void) {
        let stamp = states[s].lineTimestamp ?? states[s].messageTimestamp ?? Array(LogTimestamp.now().text.utf8)
        emit(
            LogRecord(
                timestamp: stamp, stream: s == 1 ? .stderr : .stdout, continues: continues, container: container,
                text: states[s].line))
        states[s].line.removeAll(keepingCapacity: true)
        states[s].lineTimestamp = nil
    }

    /// Writes out what is pending without a newline (after an idle time, or when the stream
    /// ends): the redactor's held-back bytes and the unfinished line, as a record marked as
    /// continuing (`final`: not marked, the stream ended).
    public mutating func flushIdle(final: Bool = false, _ emit: (LogRecord) -> Void) {
        for s in states.indices {
            let released = states[s].redactor.flush()
            if !released.isEmpty {
                if states[s].lineTimestamp == nil { states[s].lineTimestamp = states[s].messageTimestamp }
                append(released[...], stream: s, emit)
            }
            if !states[s].line.isEmpty { emitLine(stream: s, continues: !final, emit) }
        }
    }
}
