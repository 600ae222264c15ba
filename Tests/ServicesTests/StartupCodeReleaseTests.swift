import Foundation
import Supervision
import Testing

@testable import Services

/// ``StartupCodeRelease`` on this very test process: its executable's code mappings are
/// unmapped (the resident set of those mappings falls), nothing else is touched, and the code
/// keeps running (it is mapped again at the next call). The setting's values are checked.
@Suite(.serialized) struct StartupCodeReleaseTests {
    /// The resident KiB of this executable's `r-xp` mappings and of all its other mappings, from
    /// `/proc/self/smaps`.
    func residentOfExecutable() throws -> (code: Int, rest: Int) {
        let exe = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
        let text = try String(contentsOfFile: "/proc/self/smaps", encoding: .utf8)
        var (code, rest) = (0, 0)
        var inCode = false
        var ours = false
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            if let first = fields.first, first.contains("-"), !first.hasSuffix(":") {
                ours = fields.count >= 6 && fields[5...].joined(separator: " ") == exe
                inCode = ours && fields[1] == "r-xp"
            } else if fields.first == "Rss:", fields.count >= 2, ours, let kib = Int(fields[1]) {
                if inCode { code += kib } else { rest += kib }
            }
        }
        return (code, rest)
    }

    @Test func theExecutablesCodeIsUnmappedAndRunsOn() throws {
        let before = try residentOfExecutable()
        #expect(before.code > 0)
        let outcome = StartupCodeRelease.releaseNow()
        let after = try residentOfExecutable()
        #expect(outcome.mappings >= 1)
        #expect(outcome.bytes > 0)
        // Other threads of the test run fault some of it back at once: far less than before all the same.
        #expect(after.code < before.code / 2, "code resident before \(before.code) KiB, after \(after.code) KiB")
        #expect(outcome.residentKiBBefore > 0 && outcome.residentKiBAfter > 0)
        // Data and relocated mappings (rw-p, RELRO r--p) keep what they had: they are not advised.
        #expect(after.rest >= before.rest - 64, "non-code mappings of the executable lost pages: \(before.rest) → \(after.rest) KiB")
        // The code runs on (mapped again from the page cache): a JSON round trip, a regex-free parse.
        let data = try JSONEncoder().encode(["k": [1, 2, 3]])
        #expect(try JSONDecoder().decode([String: [Int]].self, from: data) == ["k": [1, 2, 3]])
        #expect(StartupCodeRelease.CodeMapping(Array("55d0c0a00000-55d0c0b00000 r-xp 00001000 fd:01 1234 /usr/bin/x".utf8)[...]) != nil)
    }

    @Test func mapsLinesThatAreNotPrivateFileCodeAreIgnored() {
        for line in [
            "55d0c0a00000-55d0c0b00000 r--p 00000000 fd:01 1234 /usr/bin/x",
            "55d0c0a00000-55d0c0b00000 rw-p 00000000 fd:01 1234 /usr/bin/x",
            "55d0c0a00000-55d0c0b00000 r-xs 00000000 fd:01 1234 /usr/bin/x",
            "7ffd1a1f0000-7ffd1a1f2000 r-xp 00000000 00:00 0 [vdso]",
            "zz-55d0c0b00000 r-xp 00000000 fd:01 1234 /usr/bin/x",
            "55d0c0b00000-55d0c0a00000 r-xp 00000000 fd:01 1234 /usr/bin/x",
            "",
        ] {
            #expect(StartupCodeRelease.CodeMapping(Array(line.utf8)[...]) == nil, "\(line)")
        }
        let mapping = StartupCodeRelease.CodeMapping(
            Array("55d0c0a00000-55d0c0b00000 r-xp 00001000 fd:01 1234 /usr/bin/x (deleted)".utf8)[...])
        #expect(mapping?.start == 0x55d0_c0a0_0000 && mapping?.end == 0x55d0_c0b0_0000 && mapping?.inode == 1234)
    }

    @Test func theDelaySetting() throws {
        #expect(try StartupCodeRelease.delay(environment: [:]) == .seconds(60))
        #expect(try StartupCodeRelease.delay(environment: ["STEVEDORE_CODE_RELEASE_AFTER": ""]) == .seconds(60))
        #expect(try StartupCodeRelease.delay(environment: ["STEVEDORE_CODE_RELEASE_AFTER": "5m"]) == .seconds(300))
        #expect(try StartupCodeRelease.delay(environment: ["STEVEDORE_CODE_RELEASE_AFTER": "0"]) == nil)
        #expect(try StartupCodeRelease.delay(environment: ["STEVEDORE_CODE_RELEASE_AFTER": "off"]) == nil)
        #expect(throws: (any Error).self) { try StartupCodeRelease.delay(environment: ["STEVEDORE_CODE_RELEASE_AFTER": "soon"]) }
        #expect(try DaemonConfiguration(environment: [:]).codeReleaseDelay == .seconds(60))
    }
}

extension StartupCodeReleaseTests {
    /// `run(after:repeatEvery:clock:onRelease:)` releases at the delay and then at each
    /// interval, until cancelled (a manual clock: nothing is timed).
    @Test func releasesRepeatUntilCancelled() async throws {
        let clock = ManualClock()
        let count = Counter()
        let task = Task { await StartupCodeRelease.run(after: .seconds(60), repeatEvery: .seconds(600), clock: clock) { _ in count.add() } }
        await clock.waitForSleepers(1)
        #expect(clock.pendingDeadlines == [.seconds(60)])
        #expect(count.value == 0)
        clock.advance(by: .seconds(60))
        await clock.waitForSleepers(1)
        #expect(count.value == 1)
        #expect(clock.pendingDeadlines == [.seconds(660)])
        clock.advance(by: .seconds(600))
        await clock.waitForSleepers(1)
        #expect(count.value == 2)
        task.cancel()
        await task.value
        clock.advance(by: .seconds(6000))
        #expect(count.value == 2, "a release after cancellation")
    }

    /// Reported in review: the log streamer read "off" as the default (a `try?` flattened the
    /// delay's nil into the fallback), so it released its code although the daemon did not.
    @Test func theChildTakesOffAsOff() {
        #expect(StartupCodeRelease.childDelay(environment: ["STEVEDORE_CODE_RELEASE_AFTER": "off"]) == nil)
        #expect(StartupCodeRelease.childDelay(environment: ["STEVEDORE_CODE_RELEASE_AFTER": "0"]) == nil)
        #expect(StartupCodeRelease.childDelay(environment: ["STEVEDORE_CODE_RELEASE_AFTER": "90s"]) == .seconds(90))
        #expect(StartupCodeRelease.childDelay(environment: ["STEVEDORE_CODE_RELEASE_AFTER": "soon"]) == .seconds(60))
        #expect(StartupCodeRelease.childDelay(environment: [:]) == .seconds(60))
    }

    final class Counter: @unchecked Sendable {
        private let lock = NSLock()
        private var n = 0
        var value: Int { lock.withLock { n } }
        func add() { lock.withLock { n += 1 } }
    }
}
