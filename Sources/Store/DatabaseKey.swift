import Foundation

/// Where the SQLCipher key comes from, in order of precedence (docs/STATE_LAYOUT.md):
/// 1. `STEVEDORE_DB_KEY`: 64 hexadecimal characters (32 bytes);
/// 2. `STEVEDORE_DB_KEY_FILE`: a file holding 64 hex characters or 32 raw bytes;
/// 3. `<root>/system/db.key`: the same, generated on first start (32 random bytes written as
///    hex, mode 0600) if absent.
public enum DatabaseKey {
    /// Resolves the key for the state root `root`, generating the default key file if needed.
    ///
    /// - Parameters:
    ///   - environment: usually `ProcessInfo.processInfo.environment`.
    ///   - defaultFile: `<root>/system/db.key`.
    ///   - generate: create `defaultFile` when no key is configured and it is absent.
    /// - Returns: 32 key bytes.
    /// - Throws: ``StoreError/invalidKey(_:)`` naming the variable or file and what is allowed;
    ///   ``StoreError/io(_:)`` if the key file cannot be read or written.
    public static func resolve(environment: [String: String], defaultFile: String, generate: Bool) throws -> [UInt8] {
        if let value = environment["STEVEDORE_DB_KEY"], !value.isEmpty {
            guard let key = decodeHex(value.trimmingCharacters(in: .whitespacesAndNewlines)) else {
                throw StoreError.invalidKey("STEVEDORE_DB_KEY must be 64 hexadecimal characters (32 bytes); got \(value.count) characters")
            }
            return key
        }
        if let file = environment["STEVEDORE_DB_KEY_FILE"], !file.isEmpty {
            return try read(file: file, variable: "STEVEDORE_DB_KEY_FILE")
        }
        if !FileManager.default.fileExists(atPath: defaultFile) {
            guard generate else {
                throw StoreError.io("no database key: \(defaultFile) does not exist (start the daemon once, or set STEVEDORE_DB_KEY)")
            }
            var generator = SystemRandomNumberGenerator()
            let key = (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
            try SecretFile.createExclusive(path: defaultFile, contents: Data((encodeHex(key) + "\n").utf8))
        }
        return try read(file: defaultFile, variable: nil)
    }

    static func read(file: String, variable: String?) throws -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: file) else {
            throw StoreError.io("cannot read database key file \(file)" + (variable.map { " (from \($0))" } ?? ""))
        }
        if data.count == 32 { return Array(data) }
        let text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard let key = decodeHex(text) else {
            throw StoreError.invalidKey("\(file) must hold 64 hexadecimal characters or 32 raw bytes; it holds \(data.count) bytes")
        }
        return key
    }

    /// Lower-case hex of `bytes` (``Hex/encode(_:)``).
    public static func encodeHex(_ bytes: [UInt8]) -> String { Hex.encode(bytes) }

    /// 32 bytes from 64 hex characters, or `nil`.
    static func decodeHex(_ text: String) -> [UInt8]? { Hex.decode(text, count: 32) }
}
