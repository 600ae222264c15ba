import Foundation
import Testing

@testable import Docker

/// Reported by a fresh-user trial: a deploy that failed because the port was taken showed in
/// `status` as `compose up failed: docker compose failed (exit status 1): #7 naming to
/// docker.io/library/…`; the cause was only near the end of `history --json`. The message now
/// leads with the error lines. The fixtures are real `docker compose up` output.
@Suite struct ProcessErrorTests {
    static func fixture(_ name: String) throws -> String {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/compose-failures/\(name)")
        return try String(contentsOf: url, encoding: .utf8)
    }

    static func failure(_ output: String, status: Int32 = 1) -> ProcessError {
        .failed(
            ProcessResult(
                command: ["docker", "compose", "-p", "stevedore-hello", "up", "-d"], exitCode: status, signal: nil, output: output))
    }

    @Test func portConflictLeadsTheMessage() throws {
        let text = String(describing: Self.failure(try Self.fixture("port-allocated.txt")))
        let first = text.split(separator: "\n").first.map(String.init) ?? ""
        #expect(first.hasPrefix("docker compose failed (exit status 1): Error response from daemon: driver failed programming"), "\(first)")
        #expect(first.hasSuffix("Bind for 127.0.0.1:18080 failed: port is already allocated"), "\(first)")
        // The tail and the command are still there, after it.
        #expect(text.contains("\n  #7 DONE 0.1s"))
        #expect(text.hasSuffix("(command: docker compose -p stevedore-hello up -d)"))
    }

    @Test func failingBuildStepAndItsExitStatus() throws {
        let causes = ProcessError.causes(in: try Self.fixture("build-step-failed.txt"))
        #expect(
            causes == [
                "failed to solve: executor failed running [/bin/sh -c echo building && exit 3]: exit code: 3",
                "build step [b 2/2] RUN echo building && exit 3",
            ])
        let v1 = ProcessError.causes(in: try Self.fixture("compose-v1-build.txt"))
        #expect(
            v1 == ["The command '/bin/sh -c exit 3' returned a non-zero code: 3", "ERROR: Service 'web' failed to build : Build failed"])
    }

    @Test func withoutErrorLinesTheTailIsAllThereIs() {
        #expect(ProcessError.causes(in: "Container x  Started\nsome output\n").isEmpty)
        let text = String(describing: Self.failure("one\ntwo\n", status: 3))
        #expect(text.hasPrefix("docker compose failed (exit status 3):\n  one\n  two"))
        let git = ProcessError.causes(in: "Cloning into 'x'...\nfatal: repository '/nope' does not exist\n")
        #expect(git == ["fatal: repository '/nope' does not exist"])
        // Long lines are cut; at most three causes, the last ones.
        let many = (1...5).map { "Error response from daemon: failure \($0) " + String(repeating: "x", count: 500) }.joined(separator: "\n")
        let cut = ProcessError.causes(in: many)
        #expect(cut.count == 3 && cut[0].contains("failure 3") && cut.allSatisfy { $0.count <= 401 })
    }
}
