/// How one incarnation of a child ended.
enum ExitReason: Error, Sendable, Equatable, CustomStringConvertible {
    /// `start` returned.
    case normal
    /// The child ended because its supervisor stopped it.
    case cancelled
    /// `start` threw; the error's description.
    case error(String)
    /// The child missed its liveness deadline and was stopped.
    case hung(String)
    /// A supervisor child gave up (it exceeded its restart intensity and stopped its
    /// children): OTP's exit reason `shutdown`. Not abnormal, so a transient supervisor child
    /// is not restarted for it (OTP `supervisor`, "Restart" and "Tuning the intensity").
    case shutdown(String)

    /// OTP: any reason other than `normal`/`shutdown` is abnormal (transient children restart).
    var isAbnormal: Bool {
        switch self {
        case .error, .hung: return true
        case .normal, .cancelled, .shutdown: return false
        }
    }

    var description: String {
        switch self {
        case .normal: return "normal"
        case .cancelled: return "cancelled"
        case .error(let message): return message
        case .hung(let message): return "hung: \(message)"
        case .shutdown(let message): return "shutdown: \(message)"
        }
    }
}

/// The outcome of waiting for a starting child.
enum StartOutcome: Sendable {
    case ready
    case exited(ExitReason)
    case timedOut
}
