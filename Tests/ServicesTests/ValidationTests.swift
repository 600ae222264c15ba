import Foundation
import Testing

@testable import Services

@Suite struct ValidationTests {
    @Test(arguments: ["hello", "a", "0day", "my-app_2", String(repeating: "a", count: 63)])
    func validNamesAreAccepted(name: String) throws {
        try Validation.deploymentName(name)
    }

    @Test(arguments: ["", "../x", "A B", "Hello", "-x", "_x", "a/b", "a.b", "a b", "é", "x\n", String(repeating: "a", count: 64)])
    func invalidNamesAreRefusedWithWhatIsAllowed(name: String) {
        do {
            try Validation.deploymentName(name)
            Issue.record("accepted '\(name)'")
        } catch {
            let message = String(describing: error)
            #expect(message.contains("invalid deployment name '\(name)'"))
            #expect(message.contains("^[a-z0-9][a-z0-9_-]{0,62}$"))
        }
    }

    @Test(arguments: ["main", "release/1.2", "feature-x"])
    func validBranches(branch: String) throws { try Validation.branch(branch) }

    @Test(arguments: ["", "-x", "a..b", "a b", "a:b", "x.lock", "/x", "a~1", "a\u{7}"])
    func invalidBranches(branch: String) {
        #expect(throws: ServiceError.invalidBranch(branch)) { try Validation.branch(branch) }
    }

    @Test(arguments: ["https://github.com/o/r.git", "ssh://git@host/o/r", "git@github.com:o/r.git", "/srv/git/r.git", "file:///srv/r.git"])
    func validURLs(url: String) throws { try Validation.repositoryURL(url) }

    // "trepos/app1.git": a relative path was accepted and then failed forever in the daemon.
    @Test(arguments: ["", "-uupload-pack=evil", "https://x/ y", "a\nb", "trepos/app1.git", "./r.git", "../r.git"])
    func invalidURLs(url: String) {
        #expect(throws: ServiceError.invalidURL(url)) { try Validation.repositoryURL(url) }
    }

    @Test func durations() throws {
        #expect(try Validation.durationSeconds("90", name: "x") == 90)
        #expect(try Validation.durationSeconds("30s", name: "x") == 30)
        #expect(try Validation.durationSeconds("5m", name: "x") == 300)
        #expect(try Validation.durationSeconds("1h", name: "x") == 3600)
        for bad in ["", "m", "5x", "-5", "1.5m", "0", "99999999999999999999h"] {
            #expect(throws: ServiceError.self, "\(bad)") { try Validation.durationSeconds(bad, name: "x", minimum: 1) }
        }
    }

    @Test func listenAddresses() throws {
        #expect(try DaemonConfiguration.parseListenAddress("0.0.0.0:42107") == ("0.0.0.0", 42107))
        #expect(try DaemonConfiguration.parseListenAddress("[::1]:8080") == ("::1", 8080))
        for bad in ["42107", ":80", "host:0", "host:99999", "host:x"] {
            #expect(throws: ServiceError.invalidListenAddress(bad)) { try DaemonConfiguration.parseListenAddress(bad) }
        }
        let configuration = try DaemonConfiguration(environment: [:])
        #expect(configuration.root.path == "/opt/stevedore")
        #expect(configuration.localBaseURL == "http://127.0.0.1:42107")
        #expect(configuration.defaultPollIntervalSeconds == 300)
        #expect(throws: ServiceError.self) { try DaemonConfiguration(environment: ["STEVEDORE_POLL_INTERVAL": "soon"]) }
    }

    @Test func livenessDeadlineAndFaultInjectionSettings() throws {
        let defaults = try DaemonConfiguration(environment: [:])
        #expect(defaults.livenessDeadlineSeconds == 60)
        #expect(defaults.faultInjection == false)
        let set = try DaemonConfiguration(environment: ["STEVEDORE_LIVENESS_DEADLINE": "2m", "STEVEDORE_FAULT_INJECTION": "yes"])
        #expect(set.livenessDeadlineSeconds == 120)
        #expect(set.faultInjection)
        #expect(set.timing.heartbeatInterval == .seconds(30))
        #expect(throws: ServiceError.self) { try DaemonConfiguration(environment: ["STEVEDORE_LIVENESS_DEADLINE": "3"]) }
        do {
            _ = try DaemonConfiguration(environment: ["STEVEDORE_FAULT_INJECTION": "maybe"])
            Issue.record("accepted STEVEDORE_FAULT_INJECTION=maybe")
        } catch {
            #expect(
                "\(error)"
                    == "invalid STEVEDORE_FAULT_INJECTION 'maybe': use 1, true, yes or on to enable; 0, false, no, off or empty to disable")
        }
    }

    @Test("STEVEDORE_LOG_MAX_SIZE / _FILE_SIZE: defaults 64m and 8m; a bad value is named with what is allowed")
    func logSizeSettings() throws {
        let defaults = try DaemonConfiguration(environment: [:])
        #expect(defaults.logLimits.maximumBytes == 64 << 20)
        #expect(defaults.logLimits.fileBytes == 8 << 20)
        #expect(defaults.logStreamer)
        let small = try DaemonConfiguration(environment: ["STEVEDORE_LOG_MAX_SIZE": "1m"])
        #expect(small.logLimits.fileBytes == 256 << 10)  // a quarter of the cap
        for (name, bad) in [("STEVEDORE_LOG_MAX_SIZE", "huge"), ("STEVEDORE_LOG_MAX_SIZE", "1k"), ("STEVEDORE_LOG_FILE_SIZE", "-1")] {
            do {
                _ = try DaemonConfiguration(environment: [name: bad])
                Issue.record("accepted \(name)=\(bad)")
            } catch {
                #expect("\(error)".contains(name) && "\(error)".contains(bad) && "\(error)".contains("64k to 64g"), "\(error)")
            }
        }
        #expect(throws: ServiceError.self) {
            try DaemonConfiguration(environment: ["STEVEDORE_LOG_MAX_SIZE": "1m", "STEVEDORE_LOG_FILE_SIZE": "2m"])
        }
        #expect(try DaemonConfiguration(environment: ["STEVEDORE_LOG_STREAMER": "0"]).logStreamer == false)
    }

    @Test func parameterNamesThatWouldChangeHowComposeRunsAreReserved() throws {
        for name in [
            "PATH", "HOME", "LD_PRELOAD", "DOCKER_HOST", "COMPOSE_FILE", "COMPOSE_PROJECT_NAME", "STEVEDORE_DATA", "BUILDKIT_HOST",
        ] {
            #expect(throws: ServiceError.invalidParameterName(name)) { try Validation.parameterName(name) }
        }
        for name in ["GREETING", "DB_PASSWORD", "path", "MY_DOCKER_TAG", "_X"] {
            #expect(throws: Never.self) { try Validation.parameterName(name) }
        }
        #expect("\(ServiceError.invalidParameterName("PATH"))".contains("DOCKER_"))
    }

    @Test func refusalsAreLetThroughOncePerInterval() {
        let log = RateLimitedLog(interval: 60)
        let start = ContinuousClock.now
        func at(_ seconds: Int) -> ContinuousClock.Instant { start + .seconds(seconds) }
        #expect(log.admit("app", now: at(1000)) == 0)
        #expect(log.admit("app", now: at(1001)) == nil)
        #expect(log.admit("app", now: at(1059)) == nil)
        #expect(log.admit("other", now: at(1059)) == 0)
        #expect(log.admit("app", now: at(1060)) == 2)
        #expect(log.admit("app", now: at(1200)) == 0)
    }

    @Test func hostRootAndPublicURLSettings() throws {
        let defaults = try DaemonConfiguration(environment: [:])
        #expect(defaults.hostRoot == nil && defaults.publicURL == nil)
        let set = try DaemonConfiguration(environment: [
            "STEVEDORE_HOST_ROOT": "/srv/stevedore/", "STEVEDORE_PUBLIC_URL": "https://deploy.example.org/",
        ])
        #expect(set.hostRoot == "/srv/stevedore")
        #expect(set.publicURL == "https://deploy.example.org")
        for bad in ["relative/path", "/srv/../etc"] {
            #expect(throws: ServiceError.self) { try DaemonConfiguration(environment: ["STEVEDORE_HOST_ROOT": bad]) }
        }
        for bad in ["deploy.example.org", "ftp://x", "https://x y"] {
            #expect(throws: ServiceError.self) { try DaemonConfiguration(environment: ["STEVEDORE_PUBLIC_URL": bad]) }
        }
        // Clients ignore them (daemon-only).
        #expect(try DaemonConfiguration.forClient(environment: ["STEVEDORE_HOST_ROOT": "relative"]).hostRoot == nil)
    }

    @Test func settingsFileIsReadLikeSystemdEnvironmentFile() throws {
        let path = "/tmp/stevedore-env-\(UInt32.random(in: 0...UInt32.max))"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try "# comment\n; also\n\nSTEVEDORE_LISTEN_ADDR=127.0.0.1:9\n STEVEDORE_LOG_LEVEL = \"debug\"\nbroken line\n".write(
            toFile: path, atomically: true, encoding: .utf8)
        #expect(Doctor.readSettingsFile(path) == ["STEVEDORE_LISTEN_ADDR": "127.0.0.1:9", "STEVEDORE_LOG_LEVEL": "debug"])
        #expect(Doctor.readSettingsFile(path + ".missing").isEmpty)
    }

    @Test func adminKeyComparison() {
        #expect(AdminKey.matches("abc", "abc"))
        #expect(!AdminKey.matches("abd", "abc"))
        #expect(!AdminKey.matches("ab", "abc"))
        #expect(!AdminKey.matches("", "abc"))
    }

    /// Found in the issue 5 trial (was `RepositoryFixesTests.transportFormsAndColonPathsAreRefused`).
    @Test(arguments: ["fd::17", "ext::sh -c id", "ext::sh%20-c%20id", "file://relative", "file:///a:b", "/srv/app.git:/etc"])
    func transportFormsAndColonPathsAreRefused(url: String) {
        #expect(throws: ServiceError.invalidURL(url)) { try Validation.repositoryURL(url) }
    }

    /// Found in the issue 5 trial (was `RepositoryFixesTests.ordinaryURLsAreAccepted`).
    @Test(arguments: ["ssh://[::1]:22/r.git", "git@github.com:o/r.git", "file:///srv/r.git", "/srv/r.git", "https://h/o/r"])
    func ordinaryURLsAreAccepted(url: String) throws {
        try Validation.repositoryURL(url)
    }
}
