// swift-tools-version: 6.2
// Stevedore: keeps Docker Compose applications from Git repositories running on a small host.
// Layout and dependency direction: ../shared/design/DESIGN.md and docs/ARCHITECTURE.md.
//   stevedore → Services → {Supervision, Store, Docker}; those three never import each other.
import PackageDescription

// The git commit `stevedore version` reports: scripts/build-release.sh (and so install.sh)
// builds with STEVEDORE_COMMIT=<commit>[-dirty]; anything else than hex digits and "-dirty"
// is ignored, so the define below can only ever be a plain C string. A plain `swift build`
// has none ("commit unknown").
let buildCommit: String = {
    let value = Context.environment["STEVEDORE_COMMIT"] ?? ""
    let hex = value.hasSuffix("-dirty") ? String(value.dropLast("-dirty".count)) : value
    guard (7...64).contains(hex.count), hex.allSatisfy({ "0123456789abcdef".contains($0) }) else { return "" }
    return value
}()

let package = Package(
    name: "stevedore",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "stevedore", targets: ["stevedore"]),
        .library(name: "Supervision", targets: ["Supervision"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/swiftlang/swift-subprocess", from: "1.0.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.3"),
        // In-process ref discovery over SSH (issue 14): the SSH client of GitSSHRefs.
        .package(url: "https://github.com/apple/swift-nio-ssh", from: "0.15.1"),
        // Reads `compose config` output and the `x-stevedore` extension of Compose files.
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
    ],
    targets: [
        // SQLCipher from Debian's libsqlcipher-dev (pkg-config `sqlcipher`).
        .systemLibrary(
            name: "CSQLCipher",
            pkgConfig: "sqlcipher",
            providers: [.apt(["libsqlcipher-dev"])]
        ),
        // sd_notify(3) sending side from Debian's libsystemd-dev (pkg-config `libsystemd`).
        .systemLibrary(
            name: "CSystemd",
            pkgConfig: "libsystemd",
            providers: [.apt(["libsystemd-dev"])]
        ),
        // The commit the binary was built from (a C string constant: survives `strip`).
        .target(name: "CBuildInfo", cSettings: [.define("STEVEDORE_COMMIT", to: "\"\(buildCommit)\"")]),
        // prctl(2) is variadic: Swift cannot call it directly.
        .target(name: "CSupervisionShims"),
        .target(
            name: "Supervision",
            dependencies: [
                "CSupervisionShims",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Subprocess", package: "swift-subprocess"),
            ]
        ),
        // Secret redaction for log streams: pure, no dependencies (fuzzed by RedactionTests).
        .target(name: "Redaction"),
        .target(
            name: "Store",
            dependencies: ["CSQLCipher"]
        ),
        .target(
            name: "Docker",
            dependencies: [
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSH", package: "swift-nio-ssh"),
                .product(name: "Subprocess", package: "swift-subprocess"),
                .product(name: "Yams", package: "Yams"),
            ]
        ),
        // The log streamer (issue 12): runs in its own process (`stevedore log-streamer`).
        .target(
            name: "LogStreamer",
            dependencies: [
                "Docker", "Redaction",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(
            name: "Services",
            dependencies: [
                "Supervision", "Store", "Docker", "CSystemd", "LogStreamer", "Redaction", "CBuildInfo",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .executableTarget(
            name: "stevedore",
            dependencies: [
                "Services", "Supervision", "Docker", "Store", "LogStreamer",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // `scripts/bench.sh supervision`: restart latencies (prints numbers; not a test).
        .executableTarget(
            name: "SupervisionBenchmarks",
            dependencies: ["Supervision", .product(name: "Logging", package: "swift-log")],
            path: "Benchmarks/SupervisionBenchmarks"),
        // `scripts/bench.sh redaction`: redaction throughput (prints numbers; not a test).
        .executableTarget(
            name: "RedactionBenchmarks", dependencies: ["Redaction"], path: "Benchmarks/RedactionBenchmarks"),
        // `scripts/bench.sh git`: in-process ref discovery over SSH against a local sshd (prints numbers; not a test).
        .executableTarget(
            name: "GitRefsBenchmarks",
            dependencies: ["Docker", .product(name: "Crypto", package: "swift-crypto"), .product(name: "NIOPosix", package: "swift-nio")],
            path: "Benchmarks/GitRefsBenchmarks"),
        // In-process HTTP checks against a local git http-backend, beside `git ls-remote`
        // (prints numbers; not a test).
        .executableTarget(name: "GitHTTPRefsBenchmarks", dependencies: ["Docker"], path: "Benchmarks/GitHTTPRefsBenchmarks"),
        // SplitMix64 for the randomized tests of several targets (test code only).
        .target(name: "SeededRandom", path: "Tests/SeededRandom"),
        .testTarget(
            name: "SupervisionTests", dependencies: ["Supervision", "SeededRandom", .product(name: "Logging", package: "swift-log")],
            exclude: ["Fixtures"]),
        .testTarget(name: "StoreTests", dependencies: ["Store"]),
        .testTarget(name: "RedactionTests", dependencies: ["Redaction", "SeededRandom"]),
        // Fixtures/corpus/<name>/: the fuzz suites' seeds (real samples; scripts/fuzz.sh).
        .testTarget(
            name: "DockerTests",
            dependencies: [
                "Docker", "SeededRandom", .product(name: "Yams", package: "Yams"), .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"), .product(name: "NIOSSH", package: "swift-nio-ssh"),
            ],
            exclude: ["Fixtures"]),
        .testTarget(
            name: "LogStreamerTests", dependencies: ["LogStreamer", "Docker", "Redaction", "SeededRandom"],
            exclude: ["Fixtures"]),
        .testTarget(
            name: "ServicesTests",
            dependencies: [
                "Services", "Store", "Docker", "Supervision", "SeededRandom",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
            ],
            exclude: ["Fixtures"]),
        // Runs the built `stevedore` binary against the real Docker engine, git and Compose.
        .testTarget(
            name: "EndToEndTests",
            dependencies: [
                "Services", "Docker", "Store", "Supervision", "LogStreamer", "stevedore", "SeededRandom",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ]),
    ],
    swiftLanguageModes: [.v6]
)
