import Store
import Testing

@testable import Services

/// Reported by the trial of issue 14: `status` and `repo list` printed the password of an
/// http(s) URL in clear (logs and errors already redacted it). The API shows every URL
/// without credentials; the store keeps it as given (the checks need it).
@Suite struct URLRedactionInAPITests {
    @Test func repositoriesAreShownWithoutCredentials() {
        let record = DeploymentRecord(
            name: "web", url: "https://ci:s3cr3t@git.example.com/o/r.git", branch: "main", pollIntervalSeconds: 60, createdAt: 0)
        let shown = AdminAPI.shown(record)
        #expect(shown.url == "https://git.example.com/o/r.git")
        #expect(shown.name == record.name && shown.branch == record.branch)
        for url in ["git@github.com:o/r.git", "ssh://git@host/r.git", "/srv/git/r.git"] {
            var other = record
            other.url = url
            #expect(AdminAPI.shown(other).url == url)
        }
    }
}
