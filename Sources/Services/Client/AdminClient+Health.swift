import Foundation

extension AdminClient {
    /// `GET /healthz` decoded, whatever its status (503 has a body too); `nil` if the daemon
    /// does not answer or the body is not a health answer.
    public func health() async -> HealthResponse? {
        guard let (_, data) = try? await raw(.GET, "/healthz") else { return nil }
        return try? APICoding.decoder().decode(HealthResponse.self, from: data)
    }
}
