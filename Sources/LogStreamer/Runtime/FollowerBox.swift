import Docker
import NIOCore
import Redaction
import Synchronization

/// One follower's parsing state, shared by its reading loop and its idle-flush timer: the
/// demultiplexer, the assembler and the resume filter, behind one lock, so that records
/// come out in order whichever of the two produced them.
final class FollowerBox: Sendable {
    private struct State {
        var demuxer: LogFrameDemuxer
        var assembler: LogRecordAssembler
        var resume: LogResumePoint?
        var lastInput = ContinuousClock.now
        var unconfirmed = 0
    }
    private let state: Mutex<State>

    init(container: String, rules: RedactionRules, lineBytes: Int, tty: Bool, resume: LogResumePoint?) {
        state = Mutex(
            State(
                demuxer: LogFrameDemuxer(tty: tty),
                assembler: LogRecordAssembler(container: container, rules: rules, maximumLineLength: lineBytes),
                resume: resume))
    }

    /// Parses a received chunk; returns the new records (after the resume filter).
    func take(_ chunk: ByteBuffer, rules: RedactionRules) -> [LogRecord] {
        state.withLock { s in
            s.assembler.setRules(rules)
            s.lastInput = .now
            var out: [LogRecord] = []
            chunk.withUnsafeReadableBytes { raw in
                let bytes = Array(raw)
                s.demuxer.feed(bytes[...]) { event in
                    s.assembler.take(event) { if s.resume.admits($0) { out.append($0) } }
                }
            }
            return out
        }
    }

    /// Counts bytes queued for writing since the last barrier; returns the total, and resets
    /// it once it reaches 256 KiB (the caller then waits for the disk).
    func addUnconfirmed(_ bytes: Int) -> Int {
        state.withLock { s in
            s.unconfirmed += bytes
            let total = s.unconfirmed
            if total >= 256 * 1024 { s.unconfirmed = 0 }
            return total
        }
    }

    /// Whether bytes wait for a newline (or for redaction's hold-back).
    var hasPending: Bool { state.withLock { $0.assembler.pendingBytes > 0 } }

    /// Records of a line left without newline for `idle` or longer.
    func flushIfIdle(after idle: Duration, currentRules: () -> RedactionRules) -> [LogRecord] {
        state.withLock { s in
            guard s.assembler.pendingBytes > 0, ContinuousClock.now - s.lastInput >= idle, !s.demuxer.isInMessage else { return [] }
            s.assembler.setRules(currentRules())
            var out: [LogRecord] = []
            s.assembler.flushIdle { if s.resume.admits($0) { out.append($0) } }
            return out
        }
    }

    /// What is left when the stream ends.
    func finish() -> [LogRecord] {
        state.withLock { s in
            var out: [LogRecord] = []
            s.assembler.flushIdle(final: true) { if s.resume.admits($0) { out.append($0) } }
            return out
        }
    }
}

extension Optional where Wrapped == LogResumePoint {
    /// Whether `record` is to be written: always without a resume point, else
    /// ``LogResumePoint/admit(_:)``.
    mutating func admits(_ record: LogRecord) -> Bool {
        guard self != nil else { return true }
        return self!.admit(record)
    }
}
