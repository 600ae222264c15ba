import Docker
import Foundation
import Store
import Testing

@testable import Services

/// The admin API's JSON coders (snake_case both ways).
@Suite struct APICodingTests {
    /// `settingsURL` encoded as `settings_url` but decoded as `settingsUrl`: every GitHub
    /// `repo add`/`repo key` failed in the CLI.
    /// Found in the issue 5 trial (was `RepositoryFixesTests.answersRoundTripThroughTheAPICoders`).
    @Test func answersRoundTripThroughTheAPICoders() throws {
        let key = DeployKeyResponse(
            deployment: "app", publicKey: "ssh-ed25519 AAAA stevedore:app",
            github: GitHubHints.hint(url: "https://github.com/o/r", name: "app", publicKey: "ssh-ed25519 AAAA stevedore:app"))
        let data = try APICoding.encoder().encode(key)
        #expect(String(decoding: data, as: UTF8.self).contains("\"settings_url\""))
        #expect(try APICoding.decoder().decode(DeployKeyResponse.self, from: data) == key)
        #expect(key.github?.sshURL == "git@github.com:o/r.git")
        let check = CheckResponse(
            deployment: "a", url: "u", branch: "main", currentCommit: nil, deployedCommit: "x", remoteCommit: "y", updateAvailable: true)
        #expect(try APICoding.decoder().decode(CheckResponse.self, from: APICoding.encoder().encode(check)) == check)
        let added = AddRepositoryResponse(
            deployment: DeploymentRecord(name: "a", url: "u", branch: "b", pollIntervalSeconds: 1, createdAt: 0), deployKey: key)
        #expect(try APICoding.decoder().decode(AddRepositoryResponse.self, from: APICoding.encoder().encode(added)).deployKey == key)
    }
}
