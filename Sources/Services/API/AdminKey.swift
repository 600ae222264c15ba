import Foundation
import Store

/// The admin API's bearer key, `<root>/system/admin.key` (64 hex characters, mode 0600).
public enum AdminKey {
    /// Reads the key, generating it first if `generate` and the file is absent.
    ///
    /// - Throws: ``ServiceError/adminKeyMissing(_:)`` when absent and not generated;
    ///   `StoreError.io` if it cannot be written.
    public static func load(root: StateRoot, generate: Bool) throws -> String {
        let path = root.adminKey
        if !FileManager.default.fileExists(atPath: path) {
            guard generate else { throw ServiceError.adminKeyMissing(path) }
            var rng = SystemRandomNumberGenerator()
            let bytes = (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &rng) }
            try SecretFile.createExclusive(path: path, contents: Data((DatabaseKey.encodeHex(bytes) + "\n").utf8))
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ServiceError.adminKeyMissing(path)
        }
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Compares two keys in time independent of where they differ.
    public static func matches(_ presented: String, _ expected: String) -> Bool {
        let a = Array(presented.utf8)
        let b = Array(expected.utf8)
        var diff = UInt8(a.count == b.count ? 0 : 1)
        for i in 0..<max(a.count, b.count) {
            diff |= (i < a.count ? a[i] : 0) ^ (i < b.count ? b[i] : 0)
        }
        return diff == 0
    }
}
