/// Answer of setting or unsetting a parameter.
public struct ParameterChangeResponse: Codable, Sendable {
    /// The deployment.
    public var deployment: String
    /// The parameter name.
    public var key: String
    /// `set` or `unset`.
    public var action: String
    /// Whether the stored value differs from before (setting the same value again is `false`).
    public var changed: Bool
    /// What to do to apply it: parameters reach containers only through `deploy up`.
    public var hint: String
    /// About redaction in logs, when it matters: a value shorter than 8 bytes is not
    /// redacted; a public one is not either.
    public var notice: String?
}
