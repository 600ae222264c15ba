import Docker
import Foundation
import Hummingbird
import Logging
import NIOCore
import Store
import Supervision

/// An error that becomes `{"error": message}` with `status`.
public struct APIError: Error, Sendable {
    /// HTTP status of the answer.
    public var status: HTTPResponse.Status
    /// The `error` text: names the bad value and what is allowed, or what to do.
    public var message: String
    /// For an unknown node path: the paths that exist (sent as `valid_paths`).
    public var validPaths: [String]?

    /// An error answered with `status` and `{"error": message}`.
    public init(_ status: HTTPResponse.Status, _ message: String) {
        self.status = status
        self.message = message
    }

    /// Maps an error of the engine or validation to a status: invalid input 400, unknown
    /// deployment 404, conflict 409, not synced 409, Docker unreachable or the state disk full or
    /// read-only 503, others 500.
    public static func from(_ error: any Error) -> APIError {
        if let api = error as? APIError { return api }
        if let http = error as? HTTPError { return APIError(http.status, http.body ?? http.status.reasonPhrase) }
        if let service = error as? ServiceError {
            switch service {
            case .invalidName, .invalidBranch, .invalidURL, .invalidDuration, .invalidListenAddress, .invalidFlag, .invalidRoot,
                .invalidSetting,
                .invalidHost, .invalidParameterName, .invalidParameterValue:
                return APIError(.badRequest, service.description)
            case .unknownDeployment, .noDeployKey, .unknownParameter: return APIError(.notFound, service.description)
            case .agentUnavailable, .interrupted, .engineUnavailable: return APIError(.serviceUnavailable, service.description)
            case .fileWriteFailed: return APIError(.internalServerError, service.description)
            case .deploymentExists, .notSynced, .refused, .redeployFailed: return APIError(.conflict, service.description)
            case .adminKeyMissing, .rootLocked, .databaseKeyMissing: return APIError(.internalServerError, service.description)
            }
        }
        if error is DockerError { return APIError(.serviceUnavailable, String(describing: error)) }
        // A full or read-only state disk: the request may work once the disk is fixed.
        if let store = error as? StoreError, store.isStorageFault { return APIError(.serviceUnavailable, store.description) }
        if let git = error as? GitError {
            switch git {
            case .branchNotFound: return APIError(.notFound, git.description)
            case .permissionDenied, .hostKeyChanged, .timedOut, .unreachable, .commandFailed: return APIError(.badGateway, git.description)
            case .workerImageMissing: return APIError(.serviceUnavailable, git.description)
            }
        }
        if error is DecodingError { return APIError(.badRequest, "malformed JSON body: \(error)") }
        // Its `maxBytes` is what was left of the limit after the first piece: not named.
        if error is NIOTooManyBytesError { return APIError(.contentTooLarge, "request body too large") }
        return APIError(.internalServerError, String(describing: error))
    }
}
