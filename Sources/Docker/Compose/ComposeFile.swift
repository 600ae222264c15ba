import Foundation

/// Finding a deployment's Compose file.
public enum ComposeFile {
    /// The names looked for at the root of a checkout, in order (the seed's behaviour).
    public static let searchOrder = [
        "docker-compose.yaml", "docker-compose.yml", "compose.yaml", "compose.yml", "stevedore.yaml",
    ]

    /// The path of the first file of ``searchOrder`` present in `directory`.
    ///
    /// - Throws: ``ComposeError/noComposeFile(directory:)`` listing the names tried.
    public static func locate(in directory: String) throws -> String {
        for name in searchOrder {
            let path = (directory as NSString).appendingPathComponent(name)
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue {
                return path
            }
        }
        throw ComposeError.noComposeFile(directory: directory)
    }
}
