/// Stevedore's version (semantic versioning).
public enum StevedoreVersion {
    /// This build's version, shown by `stevedore version` and `/healthz`.
    public static let current = "0.1.0"
}
