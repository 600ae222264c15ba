import Foundation
import Testing

@testable import Docker

@Suite struct ComposeFileTests {
    @Test func searchOrderIsTheSeeds() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cf-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        #expect(throws: ComposeError.self) { try ComposeFile.locate(in: dir) }
        for name in ComposeFile.searchOrder.reversed() {
            FileManager.default.createFile(atPath: dir + "/" + name, contents: Data())
            #expect(try ComposeFile.locate(in: dir) == dir + "/" + name)
        }
    }

    @Test(arguments: [("2.26.1-4", 2), ("v2.20.0", 2), ("1.29.2", 1), ("garbage", 0)])
    func majorVersionIsParsedFromVersionShort(version: String, major: Int) {
        #expect(ComposeFlavor(command: ["docker", "compose"], version: version).majorVersion == major)
    }
}

/// These use the real Docker engine and Compose installed by scripts/setup.sh.
@Suite struct ComposeDetectionTests {
    @Test func detectsComposeV2ByDefault() async throws {
        let flavor = try await ComposeRunner.detect()
        #expect(flavor.command == ["docker", "compose"])
        #expect(flavor.majorVersion >= 2)
    }

    @Test func detectsComposeV1WhenPreferred() async throws {
        let flavor = try await ComposeRunner.detect(preferV1: true)
        #expect(flavor.command == ["docker-compose"])
        #expect(flavor.majorVersion == 1)
    }
}

@Suite struct DockerEngineTests {
    @Test func pingReturnsTheAPIVersion() async throws {
        let version = try await DockerEngine().ping()
        #expect(version.hasPrefix("1."))
    }

    @Test func unknownProjectHasNoContainers() async throws {
        #expect(try await DockerEngine().containers(project: "stevedore-none-\(UUID().uuidString.lowercased())").isEmpty)
    }

    @Test func unreachableSocketIsReportedAsSuch() async throws {
        do {
            _ = try await DockerEngine(socketPath: "/nonexistent/docker.sock").ping()
            Issue.record("ping succeeded")
        } catch let error as DockerError {
            #expect(error.description.contains("not reachable on /nonexistent/docker.sock"))
        }
    }
}
