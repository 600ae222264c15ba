/// How a supervisor reacts when one child ends and is to be restarted (OTP restart strategy).
public enum RestartStrategy: String, Sendable, Codable {
    /// Only the child that ended is restarted.
    case oneForOne = "one_for_one"
    /// All children are stopped (reverse start order) and restarted (start order).
    case oneForAll = "one_for_all"
    /// The child that ended and every child started after it are stopped and restarted.
    case restForOne = "rest_for_one"
}
