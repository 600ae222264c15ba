/// How a supervisor stops a child (OTP child `shutdown`).
public enum ShutdownPolicy: Sendable, Equatable {
    /// Ask (graceful signal, where the child takes one), then cancel when the timeout passes;
    /// a child still running one more timeout after cancellation is reported `stuck` and
    /// abandoned, so the supervisor itself never hangs on it.
    case timeout(Duration)
    /// Wait as long as it takes (OTP's recommendation for supervisor children).
    case infinity
}
