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
        #expect(
            throws: ComposeConfigError.invalidSetting(key: "health_timeout", value: "5", allowed: "known keys: health_check_timeout, logs")
        ) {
            try StevedoreSettings.parse(["health_timeout": 5])
        }
    }

    @Test("x-stevedore.logs: sizes with k/m/g or bytes, within 64k…64g; unknown keys and bad sizes named")
    func logSizes() throws {
        let settings = try StevedoreSettings.parse(["logs": ["max_size": "32m", "file_size": 1_048_576]])
        #expect(settings.logMaxSize == 32 * 1024 * 1024)
        #expect(settings.logFileSize == 1024 * 1024)
        #expect(try StevedoreSettings.parse(nil).logMaxSize == nil)
        #expect(StevedoreSettings.parseSize("1GiB") == 1 << 30)
        #expect(StevedoreSettings.parseSize("512K") == 512 * 1024)
        #expect(StevedoreSettings.parseSize("lots") == nil)
        for bad: Any in ["1k", "100g", "big", -1] {
            #expect(throws: ComposeConfigError.self) { try StevedoreSettings.parse(["logs": ["max_size": bad]]) }
        }
        #expect(
            throws: ComposeConfigError.invalidSetting(key: "logs.max_files", value: "3", allowed: "known keys: max_size, file_size")
        ) {
            try StevedoreSettings.parse(["logs": ["max_files": 3]])
        }
        #expect(throws: ComposeConfigError.self) { try StevedoreSettings.parse(["logs": "64m"]) }
        // Found by a trial: a file size above the cap was accepted and silently lowered.
        #expect(
            throws: ComposeConfigError.invalidSetting(key: "logs.file_size", value: "128k", allowed: "a size at most logs.max_size (64k)")
        ) {
            try StevedoreSettings.parse(["logs": ["max_size": "64k", "file_size": "128k"]])
        }
    }
}
