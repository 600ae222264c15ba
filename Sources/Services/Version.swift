/// Stevedore's version (semantic versioning).
public enum StevedoreVersion {
    public static let current = "0.1.0"
}
