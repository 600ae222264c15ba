import Foundation
import Testing

@testable import Docker

@Suite struct ProcessRunnerTests {
    @Test func capturesOutputAndExitStatus() async throws {
        let result = try await ProcessRunner().run(["sh", "-c", "echo out; echo err >&2; exit 3"], timeout: .seconds(60))
        #expect(result.exitCode == 3)
        #expect(result.output.contains("out"))
        #expect(result.output.contains("err"))
        await #expect(throws: ProcessError.self) {
            try await ProcessRunner().runChecked(["sh", "-c", "exit 1"], timeout: .seconds(60))
        }
    }

    @Test func argumentsAreNotInterpretedByAShell() async throws {
        let result = try await ProcessRunner().run(["printf", "%s|", "a b", "$(id)", ";true"], timeout: .seconds(60))
        #expect(result.output == "a b|$(id)|;true|")
    }

    @Test func timeoutKillsTheWholeProcessGroup() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("pg-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let pidFile = dir + "/grandchild.pid"
        // The shell starts a grandchild and waits; both must die when the timeout hits.
        let command = ["sh", "-c", "sleep 1000 & echo $! > \(pidFile); wait"]
        do {
            _ = try await ProcessRunner(killGracePeriod: .seconds(2)).run(command, timeout: .seconds(1))
            Issue.record("did not time out")
        } catch ProcessError.timedOut(let cmd, _, _) {
            #expect(cmd == command)
        }
        let pid = try #require(
            Int32(
                String(decoding: FileManager.default.contents(atPath: pidFile) ?? Data(), as: UTF8.self)
                    .trimmingCharacters(in: .whitespacesAndNewlines)))
        // The group was signalled; the grandchild dies asynchronously (a moment after the
        // shell). Gone (ESRCH) or a zombie counts as dead; one that lives on failed the test.
        func alive() -> Bool {
            guard kill(pid, 0) == 0 else { return false }
            let stat = (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)) ?? ""
            return !stat.contains(") Z ")
        }
        for _ in 0..<2000 where alive() { try await Task.sleep(for: .milliseconds(5)) }
        #expect(!alive(), "grandchild \(pid) survived the timeout")
    }

    @Test func systemdVariablesAreNotInherited() async throws {
        setenv("NOTIFY_SOCKET", "/run/systemd/notify", 1)
        setenv("WATCHDOG_USEC", "30000000", 1)
        defer {
            unsetenv("NOTIFY_SOCKET")
            unsetenv("WATCHDOG_USEC")
        }
        let result = try await ProcessRunner().run(["env"], timeout: .seconds(60))
        #expect(!result.output.contains("NOTIFY_SOCKET"))
        #expect(!result.output.contains("WATCHDOG_USEC"))
        #expect(result.output.contains("PATH="))
    }

    @Test func missingExecutableIsALaunchError() async throws {
        await #expect(throws: ProcessError.self) {
            try await ProcessRunner().run(["/nonexistent/tool"], timeout: .seconds(10))
        }
    }
}
