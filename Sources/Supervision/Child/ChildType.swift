/// Whether a child is a plain worker or a supervisor of its own subtree (OTP child `type`).
public enum ChildType: String, Sendable, Codable {
    case worker
    case supervisor
}
