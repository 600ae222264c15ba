import Docker
import Testing

/// `compose config` output (v2 and v1 shapes) and the `x-stevedore` settings.
@Suite struct ComposeConfigTests {
    @Test func servicesWithoutInitAreListedUnlessOptedOut() throws {
        // v2 prints labels as a map; v1 may keep the list form.
        let config = try ComposeConfig.parse(
            """
            name: stevedore-x
            services:
              web:
                init: true
                image: a
              worker:
                image: b
              sidecar:
                image: c
                labels:
                  stevedore.init.enforce: "false"
              legacy:
                image: d
                labels:
                  - stevedore.init.enforce=false
              db:
                image: e
                init: false
                labels:
                  other: "1"
            """)
        #expect(config.services.map(\.name) == ["db", "legacy", "sidecar", "web", "worker"])
        #expect(config.servicesWithoutInit == ["db", "worker"])
        #expect(config.servicesStartedByUp == ["db", "legacy", "sidecar", "web", "worker"])
    }

    @Test func servicesUpDoesNotStart() throws {
        let config = try ComposeConfig.parse(
            """
            services:
              web: {image: a}
              off: {image: b, scale: 0}
              none: {image: c, deploy: {replicas: 0}}
              debug: {image: d, profiles: [debug]}
              two: {image: e, deploy: {replicas: 2}}
            """)
        #expect(config.servicesStartedByUp == ["two", "web"])
    }

    @Test func unreadableConfigIsAClearError() {
        #expect(throws: ComposeConfigError.self) { try ComposeConfig.parse("just: [unbalanced") }
        #expect(throws: ComposeConfigError.unreadable("no `services` map in the resolved configuration")) {
            try ComposeConfig.parse("version: '3'\n")
        }
    }

    @Test func healthCheckTimeoutAcceptsSecondsAndDurations() throws {
        #expect(try StevedoreSettings.parse(nil).healthCheckTimeout == .seconds(120))
        #expect(try StevedoreSettings.parse(["health_check_timeout": 10]).healthCheckTimeout == .seconds(10))
        #expect(try StevedoreSettings.parse(["health_check_timeout": "90s"]).healthCheckTimeout == .seconds(90))
        #expect(try StevedoreSettings.parse(["health_check_timeout": "2m"]).healthCheckTimeout == .seconds(120))
        for bad: Any in [0, 3601, "soon", -5, "10x"] {
            #expect(throws: ComposeConfigError.self) { try StevedoreSettings.parse(["health_check_timeout": bad]) }
        }
        #expect(throws: ComposeConfigError.invalidSetting(key: "health_timeout", value: "5", allowed: "known keys: health_check_timeout")) {
            try StevedoreSettings.parse(["health_timeout": 5])
        }
    }
}
