import Docker
import Foundation
import SeededRandom
import Testing
import Yams

/// Seeded randomized tests of the YAML Stevedore reads: `compose config` output
/// (Fixtures/corpus/compose-config: real `docker compose config` output, YAML and
/// `--format json`) and the `x-stevedore` block of Compose files (Fixtures/corpus/x-stevedore),
/// mutated with YAML's own tokens, random bytes, invalid UTF-8, deep nesting and alias bombs.
/// Nothing may trap or take unbounded memory (``YAMLLimits``); every refusal is a
/// ``ComposeConfigError``; generated configurations and settings round-trip.
@Suite struct ComposeConfigFuzzTests {
    static let run = FuzzRun("ComposeConfigFuzzTests")
    static let configs = FuzzCorpus.load("compose-config").map(\.bytes)
    static let composeFiles = FuzzCorpus.load("x-stevedore").map(\.bytes)
    static let tokens: [[UInt8]] = [
        "&a ", "*a", "&b ", "*b", "<<: *a\n", "- ", ": ", "? ", "{", "}", "[", "]", ", ", "|\n", ">-\n", "\t", "\n  ", "---\n", "...\n",
        "%YAML 1.1\n", "%TAG ! tag:x:\n", "!!binary ", "!!timestamp ", "!!float ", "!!int ", "!!set ", "!!omap ", "!!str ",
        "~", "null", "true", "no", "0x7fffffffffffffff", "99999999999999999999999", "-.inf", ".nan", "2001-12-14t21:59:43.10-05:00",
        "'it''s'", "\"\\u00e9\\x00\\uD800\"", "#c\n", "services:\n", "init: true\n", "labels:\n", "deploy: {replicas: 0}\n",
        "profiles: [x]\n", "scale: 0\n", "x-stevedore:\n", "health_check_timeout: ", "logs: {max_size: 64m, file_size: 8m}\n",
        "99999999999999999m", "-1s", "0x10", "1e3", "64GiB", "9223372036854775807", "\u{FEFF}", "\u{85}",
    ].map { Array($0.utf8) }

    /// Any outcome but a trap: a configuration or a ``ComposeConfigError``.
    static func parseConfig(_ bytes: [UInt8]) -> ComposeConfig? {
        do {
            return try ComposeConfig.parse(String(decoding: bytes, as: UTF8.self))
        } catch is ComposeConfigError {
            return nil
        } catch {
            Issue.record("not a ComposeConfigError: \(error)")
            return nil
        }
    }

    static func parseSettings(_ bytes: [UInt8]) -> StevedoreSettings? {
        do {
            return try StevedoreSettings.parse(composeFileText: String(decoding: bytes, as: UTF8.self), path: "compose.yaml")
        } catch is ComposeConfigError {
            return nil
        } catch {
            Issue.record("not a ComposeConfigError: \(error)")
            return nil
        }
    }

    @Test("the corpus reads as it is")
    func corpusReads() throws {
        for config in Self.configs {
            let parsed = try #require(Self.parseConfig(config))
            #expect(!parsed.services.isEmpty)
        }
        let file = try #require(Self.composeFiles.first { String(decoding: $0, as: UTF8.self).contains("x-stevedore") })
        let rich = try #require(Self.parseSettings(file))
        #expect(rich.healthCheckTimeout == .seconds(90) && rich.logMaxSize == 64 << 20 && rich.logFileSize == 8 << 20)
    }

    @Test("compose config: mutated real output never traps; what parses is well-formed")
    func mutatedConfigs() {
        var rng = Self.run.generator("config")
        for iteration in 0..<Self.run.iterations(ci: 5_000) {
            let bytes = FuzzMutator.mutate(Self.configs.randomElement(using: &rng)!, &rng, others: Self.configs, tokens: Self.tokens)
            guard let config = Self.parseConfig(bytes) else { continue }
            let names = config.services.map(\.name)
            #expect(names == names.sorted() && Set(names).count == names.count, "\(Self.run.context(iteration))")
            #expect(Set(config.servicesWithoutInit).isSubset(of: names) && Set(config.servicesStartedByUp).isSubset(of: names))
        }
    }

    @Test("x-stevedore: mutated Compose files never trap; accepted settings are within their ranges")
    func mutatedSettings() {
        var rng = Self.run.generator("settings")
        for iteration in 0..<Self.run.iterations(ci: 5_000) {
            let bytes = FuzzMutator.mutate(
                Self.composeFiles.randomElement(using: &rng)!, &rng, others: Self.composeFiles, tokens: Self.tokens)
            guard let settings = Self.parseSettings(bytes) else { continue }
            let seconds = settings.healthCheckTimeout.components.seconds
            #expect(StevedoreSettings.healthCheckTimeoutRange.contains(Int(seconds)), "\(Self.run.context(iteration))")
            for size in [settings.logMaxSize, settings.logFileSize].compactMap({ $0 }) {
                #expect(StevedoreSettings.logSizeRange.contains(size), "\(Self.run.context(iteration))")
            }
            if let file = settings.logFileSize, let cap = settings.logMaxSize { #expect(file <= cap) }
        }
    }

    /// A random string for names, labels and values: YAML's indicators, quotes, Unicode.
    static func text(_ rng: inout SplitMix, allowEmpty: Bool = true) -> String {
        let pieces = [
            "a", "Z", "0", "-", "_", ".", " ", ":", "#", "'", "\"", "\\", "*", "&", "!", "%", "@", "|", ">", "{", "[", ",", "?",
            "é", "✓", "\u{301}", "\t", "yes", "null", "~", "0x1", "1e3", "=",
        ]
        let count = Int.random(in: (allowEmpty ? 0 : 1)...8, using: &rng)
        return (0..<count).map { _ in pieces.randomElement(using: &rng)! }.joined()
    }

    @Test("generated configurations round-trip through YAML and JSON")
    func generatedConfigsRoundTrip() throws {
        var rng = Self.run.generator("roundtrip")
        for iteration in 0..<Self.run.iterations(ci: 2_000) {
            var services: [String: Any] = [:]
            var expected: [ComposeConfig.Service] = []
            for _ in 0..<Int.random(in: 1...4, using: &rng) {
                let name = Self.text(&rng, allowEmpty: false)
                guard services[name] == nil else { continue }
                var service: [String: Any] = ["image": "stevedore/busybox:latest"]
                let initEnabled = Bool.random(using: &rng)
                switch Int.random(in: 0..<3, using: &rng) {
                case 0: service["init"] = initEnabled
                case 1: service["init"] = initEnabled ? "yes" : "no"
                default: if initEnabled { service["init"] = 1 } else { service["init"] = nil }
                }
                var labels: [String: String] = [:]
                for _ in 0..<Int.random(in: 0...3, using: &rng) {
                    labels[String(String.UnicodeScalarView(Self.text(&rng).unicodeScalars.filter { $0 != "=" }))] = Self.text(&rng)
                }
                if Bool.random(using: &rng) {
                    service["labels"] = labels
                } else {
                    service["labels"] = labels.map { "\($0.key)=\($0.value)" }
                }
                var started = true
                switch Int.random(in: 0..<5, using: &rng) {
                case 0:
                    service["scale"] = 0
                    started = false
                case 1:
                    service["deploy"] = ["replicas": Int.random(in: 0...3, using: &rng)]
                    started = (service["deploy"] as! [String: Int])["replicas"] != 0
                case 2:
                    service["profiles"] = [Self.text(&rng, allowEmpty: false)]
                    started = false
                default: break
                }
                services[name] = service
                expected.append(ComposeConfig.Service(name: name, initEnabled: initEnabled, labels: labels, startedByUp: started))
            }
            let document: [String: Any] = ["name": "fuzz", "services": services]
            let yaml = try Yams.dump(object: document, allowUnicode: Bool.random(using: &rng))
            let json = String(decoding: try JSONSerialization.data(withJSONObject: document, options: [.sortedKeys]), as: UTF8.self)
            let sorted = expected.sorted { $0.name < $1.name }
            let fromYAML = try ComposeConfig.parse(yaml).services
            let fromJSON = try ComposeConfig.parse(json).services
            #expect(fromYAML == sorted, "\(Self.run.context(iteration)): \(yaml) read as \(fromYAML), not \(sorted)")
            #expect(fromJSON == sorted, "\(Self.run.context(iteration)): \(json) read as \(fromJSON), not \(sorted)")
        }
    }

    @Test("generated x-stevedore settings round-trip; overflowing and out-of-range values are refused")
    func generatedSettingsRoundTrip() throws {
        var rng = Self.run.generator("settings-roundtrip")
        for iteration in 0..<Self.run.iterations(ci: 3_000) {
            let seconds = Int.random(in: StevedoreSettings.healthCheckTimeoutRange, using: &rng)
            let timeout: Any =
                switch Int.random(in: 0..<3, using: &rng) {
                case 0: seconds
                case 1: "\(seconds)s"
                default: seconds % 60 == 0 ? "\(seconds / 60)m" : "\(seconds)"
                }
            let cap = Int.random(in: 64...(64 * 1024 * 1024), using: &rng) * 1024
            let file = Int.random(in: 64...(cap / 1024), using: &rng) * 1024
            let document: [String: Any] = [
                "services": ["web": ["image": "x"]],
                "x-stevedore": ["health_check_timeout": timeout, "logs": ["max_size": "\(cap / 1024)k", "file_size": file]],
            ]
            let settings = try StevedoreSettings.parse(composeFileText: try Yams.dump(object: document), path: "compose.yaml")
            #expect(settings.healthCheckTimeout == .seconds(seconds), "\(Self.run.context(iteration))")
            #expect(settings.logMaxSize == cap && settings.logFileSize == file)
            // Random numbers with units, most far out of range: refused, never a trap.
            let digits = String((0..<Int.random(in: 1...25, using: &rng)).map { _ in "0123456789".randomElement(using: &rng)! })
            let unit = ["", "s", "m", "h", "k", "g", "x", "ib"].randomElement(using: &rng)!
            let value = (Bool.random(using: &rng) ? "-" : "") + digits + unit
            if let parsed = try? StevedoreSettings.parse(["health_check_timeout": value]) {
                #expect(StevedoreSettings.healthCheckTimeoutRange.contains(Int(parsed.healthCheckTimeout.components.seconds)))
            }
            if let size = StevedoreSettings.parseSize(value) { #expect(size >= 0) }
        }
    }

    @Test("YAML over 16 MiB is refused with the limit named")
    func oversizeYAMLIsRefused() {
        let text = "services: {}\n#" + String(repeating: "x", count: YAMLLimits.maximumBytes)
        #expect(throws: ComposeConfigError.unreadable("the YAML is \(text.utf8.count) bytes; at most 16777216 are read")) {
            try ComposeConfig.parse(text)
        }
    }

    /// `Int(text.dropLast()) * 60` trapped on overflow: a Compose file could stop every read
    /// of its settings (the daemon's pipeline worker with it). Found reading the parser for
    /// this suite, whose random durations hit it too.
    @Test("a duration too large to multiply is refused, not a trap")
    func overflowingDurationIsRefused() {
        for text in ["99999999999999999m", "9223372036854775807h", "153722867280912931m"] {
            #expect(throws: ComposeConfigError.self) { try StevedoreSettings.parse(["health_check_timeout": text]) }
        }
    }

    @Test("nesting at any depth, in flow and block style, never traps")
    func deepNesting() {
        var rng = Self.run.generator("nesting")
        for _ in 0..<max(1, Self.run.iterations / 1000) {
            let depth = Int.random(in: 1...3000, using: &rng)
            let inner: [UInt8]
            switch Int.random(in: 0..<3, using: &rng) {
            case 0: inner = FuzzMutator.nested("[", "]", depth: depth)
            case 1: inner = FuzzMutator.nested("{a: ", "}", depth: depth)
            default: inner = Array((0..<depth).map { String(repeating: " ", count: $0 + 1) + "- \n" }.joined().utf8)
            }
            let document = Array("services:\n  web:\n    labels: ".utf8) + inner + Array("\nx-stevedore: ".utf8) + inner
            _ = Self.parseConfig(document)
            _ = Self.parseSettings(document)
        }
    }

    /// "Billion laughs": nine anchors of nine aliases each, 9^9 scalars once expanded. Yams
    /// expands every alias while building its result (and hashes aliased keys in full): 387
    /// million values, gigabytes, from 600 bytes. Refused now from libyaml's events.
    static let aliasBomb = """
        services:
          web: {image: x, init: true}
        x-a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
        x-b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
        x-c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
        x-d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
        x-e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
        x-f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
        x-g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
        x-h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
        x-stevedore: {health_check_timeout: 60, x: [*h,*h,*h,*h,*h,*h,*h,*h,*h]}
        """

    @Test("an alias bomb is refused with the limit named, before Yams expands it")
    func aliasBombIsRefused() {
        let refusal = ComposeConfigError.unreadable(
            "the YAML has more than 100000 nodes with its aliases (*name) expanded; at most 100000 are allowed")
        #expect(throws: refusal) { try ComposeConfig.parse(Self.aliasBomb) }
        #expect(
            throws: ComposeConfigError.unreadable(
                "compose.yaml: the YAML has more than 100000 nodes with its aliases (*name) expanded; at most 100000 are allowed")
        ) {
            try StevedoreSettings.parse(composeFileText: Self.aliasBomb, path: "compose.yaml")
        }
        // An aliased collection as a mapping key (hashed in full by Yams) is refused too.
        #expect(throws: ComposeConfigError.self) { try ComposeConfig.parse("x: &a [1, 2]\nservices: {? *a : 1}\n") }
        // Ordinary anchors and merge keys, as Compose files use them, still read.
        let config = try? ComposeConfig.parse(
            "x-common: &common {init: true, labels: {a: b}}\nservices:\n  web: {<<: *common, image: x}\n  db:\n    <<: *common\n    image: y\n"
        )
        #expect(config?.servicesWithoutInit == [])
    }
}
