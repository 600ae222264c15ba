/// A value that must never reach a log file, with the name it is reported under.
public struct Secret: Sendable, Equatable {
    /// What the marker names, e.g. the parameter's key (`[REDACTED:DB_PASSWORD]`).
    public var key: String
    /// The secret's bytes (a parameter value, a webhook secret).
    public var value: [UInt8]

    /// - Parameters:
    ///   - key: the name shown in the marker; use names only, never the value.
    ///   - value: the secret's bytes.
    public init(key: String, value: [UInt8]) {
        self.key = key
        self.value = value
    }

    /// A secret from a string's UTF-8 bytes.
    public init(key: String, value: String) {
        self.init(key: key, value: Array(value.utf8))
    }
}
