import Supervision
import Testing

@testable import Services

@Suite struct GitHubHintsTests {
    @Test(arguments: [
        "git@github.com:o/r.git", "git@github.com:o/r", "ssh://git@github.com/o/r", "ssh://git@github.com/o/r.git",
        "https://github.com/o/r", "https://github.com/o/r.git", "https://github.com/o/r/", "ssh://git@ssh.github.com:443/o/r.git",
    ])
    func githubURLsGiveTheRepository(url: String) {
        #expect(GitHubHints.repository(url) == "o/r")
    }

    @Test(arguments: [
        "git@gitlab.com:o/r.git", "https://github.com/o", "https://github.com/o/r/tree/main", "/srv/r.git",
        "ssh://git@github.com.evil.example/o/r", "https://notgithub.com/o/r",
    ])
    func otherURLsGiveNone(url: String) {
        #expect(GitHubHints.repository(url) == nil)
    }

    @Test func hintUsesTypedReadOnlyField() throws {
        let hint = try #require(
            GitHubHints.hint(url: "git@github.com:me/app.git", name: "app", publicKey: "ssh-ed25519 AAAAC3 stevedore:app"))
        #expect(hint.settingsURL == "https://github.com/me/app/settings/keys/new")
        #expect(
            hint.ghCommand
                == "gh api -X POST repos/me/app/keys -f title=stevedore:app -f key='ssh-ed25519 AAAAC3 stevedore:app' -F read_only=true")
        #expect(!hint.ghCommand.contains("-f read_only"))
    }

    @Test func gitSettingsAreValidated() throws {
        let defaults = try DaemonConfiguration(environment: [:])
        #expect(defaults.gitMode == .worker)
        #expect(defaults.gitImage == "alpine/git:latest")
        #expect(defaults.gitTimeoutSeconds == 300)
        #expect(defaults.runtimeDirectory == "/run/stevedore")
        #expect(try DaemonConfiguration(environment: ["RUNTIME_DIRECTORY": "/run/stevedore"]).runtimeDirectory == "/run/stevedore")
        #expect(try DaemonConfiguration(environment: ["STEVEDORE_GIT_MODE": "local"]).gitMode == .local)
        #expect(throws: ServiceError.self) { try DaemonConfiguration(environment: ["STEVEDORE_GIT_MODE": "docker"]) }
        #expect(throws: ServiceError.self) { try DaemonConfiguration(environment: ["STEVEDORE_GIT_TIMEOUT": "1s"]) }
        #expect(throws: ServiceError.self) { try DaemonConfiguration(environment: ["STEVEDORE_GIT_CHECK": "fetch"]) }
        #expect(throws: ServiceError.self) { try DaemonConfiguration(environment: ["STEVEDORE_RUNTIME_DIR": "run"]) }
        #expect(throws: ServiceError.self) { try DaemonConfiguration(environment: ["STEVEDORE_GIT_IMAGE": "--privileged"]) }
        // Deployments' restart intensity and revival (found in the issue 11 trial: a revival
        // maximum below the initial delay was accepted and ignored).
        let restarts = try DaemonConfiguration(environment: [
            "STEVEDORE_DEPLOYMENT_MAX_RESTARTS": "2", "STEVEDORE_DEPLOYMENT_RESTART_PERIOD": "10s",
            "STEVEDORE_DEPLOYMENT_REVIVAL_INITIAL": "2s", "STEVEDORE_DEPLOYMENT_REVIVAL_MAX": "4s",
        ]).deploymentRestarts
        #expect(restarts.intensity == RestartIntensity(maxRestarts: 2, period: .seconds(10)))
        #expect(restarts.revival.initial == .seconds(2) && restarts.revival.maximum == .seconds(4))
        #expect(defaults.deploymentRestarts == DeploymentRestartPolicy())
        for bad in [
            ["STEVEDORE_DEPLOYMENT_MAX_RESTARTS": "-1"], ["STEVEDORE_DEPLOYMENT_MAX_RESTARTS": "5.5"],
            ["STEVEDORE_DEPLOYMENT_RESTART_PERIOD": "0s"],
            ["STEVEDORE_DEPLOYMENT_REVIVAL_INITIAL": "20s", "STEVEDORE_DEPLOYMENT_REVIVAL_MAX": "3s"],
        ] {
            #expect(throws: ServiceError.self, "\(bad)") { try DaemonConfiguration(environment: bad) }
        }
        // Clients ignore daemon-only settings, so a typo there does not break `stevedore status`.
        #expect(try DaemonConfiguration.forClient(environment: ["STEVEDORE_GIT_MODE": "docker"]).gitMode == .worker)
    }

    /// Found in the issue 5 trial (was `RepositoryFixesTests.githubHostIsCaseInsensitive`).
    @Test func githubHostIsCaseInsensitive() {
        #expect(GitHubHints.repository("git@GitHub.com:O/R.git") == "O/R")
        #expect(GitHubHints.repository("https://GITHUB.COM/o/r") == "o/r")
    }
}
