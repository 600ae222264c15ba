/// OTP `auto_shutdown`: whether significant children ending on their own end the supervisor.
public enum AutoShutdown: String, Sendable, Codable {
    /// Never (the default).
    case never
    /// When any significant child ends on its own and is not restarted.
    case anySignificant = "any_significant"
    /// When every significant child has ended on its own.
    case allSignificant = "all_significant"
}
