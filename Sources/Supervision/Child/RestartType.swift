/// When a child is restarted after it ends. Source: Erlang/OTP `supervisor`, child spec `restart`.
public enum RestartType: String, Sendable, Codable {
    /// Always restarted, whether it returned or threw.
    case permanent
    /// Restarted only after an abnormal end (a thrown error, a missed liveness deadline); a
    /// normal return is final.
    case transient
    /// Never restarted, not even when a sibling's restart (one_for_all, rest_for_one) takes
    /// it down.
    case temporary
}
