import Foundation
import Testing

@testable import Docker

/// Issue 13 (trial): a daemon killed with SIGKILL outside systemd left its `docker compose up`
/// running beside the next daemon's own run; the next start kills it, as it does local git runs.
@Suite struct ComposeLeftoverTests {
    @Test func leftoverComposeRunsOfThisRootAreKilled() async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("compose-leftover-\(UUID().uuidString.prefix(8))").path
        func spawn(root: String) throws -> Process {
            let process = Process()
            // Foundation starts the child in a process group of its own, as ProcessRunner does; the
            // shell's argv carries Compose's as `docker compose up` has it, and its `sleep` child
            // (the plugin, in the real case) is in the same group.
            process.executableURL = URL(fileURLWithPath: "/bin/sh")
            process.arguments = [
                "-c", "(sleep 120; true); true", "docker", "compose", "--project-name", "stevedore-app",
                "--project-directory", root + "/deployments/app/repo", "--file", root + "/deployments/app/repo/compose.yaml",
                "up", "-d", "--build", "--remove-orphans",
            ]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            return process
        }
        let ours = try spawn(root: root)
        let other = try spawn(root: root + "-other")
        defer {
            kill(-other.processIdentifier, SIGKILL)
            other.waitUntilExit()
        }
        #expect(getpgid(ours.processIdentifier) != getpgrp())
        let killed = ComposeRunner.killLeftovers(root: root)
        #expect(killed == [ours.processIdentifier])
        ours.waitUntilExit()
        #expect(ours.terminationReason == .uncaughtSignal)
        #expect(other.isRunning, "a run of another state root must not be touched")
        #expect(ComposeRunner.killLeftovers(root: root).isEmpty)
    }

    /// The power-cut drill (seed 7892979698265544518): a `compose up` killed mid-recreate left
    /// `7a8bb8dc25a4_stevedore-…-web-1`, and every later recreate failed with a name conflict.
    @Test func recreateLeftoversAreRecognisedByTheirTemporaryName() {
        #expect(DockerEngine.isRecreateLeftover("7a8bb8dc25a4_stevedore-e2e-51ad127a-web-1"))
        #expect(DockerEngine.isRecreateLeftover("0123456789ab_x"))
        for name in [
            "stevedore-e2e-51ad127a-web-1", "7a8bb8dc25a4_", "7A8BB8DC25A4_stevedore-web-1", "7a8bb8dc25a_stevedore-web-1",
            "7a8bb8dc25a4-stevedore-web-1", "7a8bb8dc25g4_stevedore-web-1", "", "_",
        ] {
            #expect(!DockerEngine.isRecreateLeftover(name), "\(name)")
        }
    }
}
