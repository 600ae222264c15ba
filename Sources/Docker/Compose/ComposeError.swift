import Foundation

/// Errors of the Compose runner.
public enum ComposeError: Error, Sendable, CustomStringConvertible {
    /// Neither `docker compose` (v2+) nor `docker-compose` (v1) answered `version --short`.
    case notInstalled(String)
    /// No Compose file at the root of the checkout.
    case noComposeFile(directory: String)

    public var description: String {
        switch self {
        case .notInstalled(let detail):
            return
                "Docker Compose not found: neither `docker compose version --short` nor `docker-compose version --short` worked (\(detail)); run scripts/setup.sh or install docker-compose"
        case .noComposeFile(let directory):
            return "no Compose file in \(directory) (looked for \(ComposeFile.searchOrder.joined(separator: ", ")))"
        }
    }
}
