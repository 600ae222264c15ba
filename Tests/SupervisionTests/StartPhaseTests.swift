import Foundation
import Synchronization
import Testing

@testable import Supervision

/// The supervisor's start phase (OTP `init`: children start in order) and requests that arrive during it.
@Suite struct StartPhaseTests {
    /// Found in the issue 3 trial (was `ReportedSupervisionFaultsTests.T3_deleteDuringTheStartPhaseDoesNotSkipALaterChild`).
    @Test func deleteDuringTheStartPhaseDoesNotSkipALaterChild() async throws {
        let probe = Probe()
        let sup = Supervisor(
            id: "root", configuration: config(), clock: ManualClock(), logger: quiet,
            children: [
                // Transient: it ends normally and keeps its spec (a temporary one would be deleted).
                .worker("t", restart: .transient) { _ in probe.record("start t") },
                .worker("slow", readiness: .explicit(timeout: nil)) { ctx in
                    probe.record("start slow")
                    try await waitCount(probe, "release")
                    ctx.ready()
                    try await idle()
                },
                w3("b", probe), w3("c", probe),
            ])
        try await withRunning(sup, rethrowingItsEnd: false) {
            try await waitCount(probe, "start slow")
            try await eventually { await sup.childCounts.active == 1 }  // t has ended
            // Queued until the start phase is over (OTP: the supervisor is busy in init).
            let deletion = Task { try await sup.deleteChild("t") }
            probe.record("release")
            try await deletion.value
            try await waitCount(probe, "start c")
            try await eventually { probe.count("start b") == 1 }
            #expect(probe.count("start b") == 1, "b was skipped by the start loop")
        }
    }

    /// Found in the issue 3 trial (was `ReportedSupervisionFaultsTests.T3_terminateDuringTheStartPhaseKeepsTheChildTerminated`).
    @Test func terminateDuringTheStartPhaseKeepsTheChildTerminated() async throws {
        let probe = Probe()
        let sup = Supervisor(
            id: "root", configuration: config(), clock: ManualClock(), logger: quiet,
            children: [
                .worker("slow", readiness: .explicit(timeout: nil)) { ctx in
                    probe.record("start slow")
                    try await waitCount(probe, "release")
                    ctx.ready()
                    try await idle()
                },
                w3("b", probe),
            ])
        try await withRunning(sup, rethrowingItsEnd: false) {
            try await waitCount(probe, "start slow")
            // Queued until the start phase is over (OTP: the supervisor is busy in init), then
            // honoured: b ends up terminated and stays so.
            let termination = Task { try await sup.terminateChild("b") }
            probe.record("release")
            try await termination.value
            try await eventually { await sup.isSettled() }
            #expect(probe.count("start b") == 1)
            #expect(await sup.status().find(path: "b")?.state == .stopped)
        }
    }

    /// Found in the issue 3 trial (was `ReportedSupervisionFaultsTests.T3_cancelWhileARestartWaitsForReadyDoesNotHang`).
    @Test func cancelWhileARestartWaitsForReadyDoesNotHang() async throws {
        let probe = Probe()
        let sup = Supervisor(
            id: "root", configuration: config(), clock: ManualClock(), logger: quiet,
            children: [
                .worker("r", readiness: .explicit(timeout: nil)) { ctx in
                    probe.record("start r")
                    if probe.count("start r") == 1 {
                        ctx.ready()
                        try await waitCount(probe, "go r")
                        throw Boom()
                    }
                    try await idle()  // second incarnation never ready but honours cancellation
                }
            ])
        let run = Task { try await sup.run() }
        try await waitCount(probe, "start r")
        probe.record("go r")
        try await waitCount(probe, "start r", 2)
        let snap = await within(60) { await sup.status().find(path: "r")?.state == .starting }
        #expect(snap, "status during restart")
        run.cancel()
        let done = Probe()
        Task {
            _ = try? await run.value
            done.record("done")
        }
        let ended = await within(60) { done.count("done") == 1 }
        #expect(ended, "run() did not return after cancellation while a restart waited for READY")
    }
}
