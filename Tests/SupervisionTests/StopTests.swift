import Foundation
import Synchronization
import Testing

@testable import Supervision

/// Stopping children: graceful request, cancellation, and what a child does meanwhile.
@Suite struct StopTests {
    /// Found in the issue 3 trial (was `ReportedSupervisionFaultsTests.T3_childThrowingDuringGracefulStopIsStoppedNotRestarted`).
    @Test func childThrowingDuringGracefulStopIsStoppedNotRestarted() async throws {
        let probe = Probe()
        let spec = ChildSpec.worker("t", shutdown: .timeout(.seconds(5)), gracefulStop: true) { ctx in
            probe.record("start t")
            let (stream, cont) = AsyncStream.makeStream(of: Int.self)
            ctx.onShutdownRequest {
                cont.yield(1)
                cont.finish()
            }
            for await _ in stream { throw Boom() }
        }
        let sup = Supervisor(id: "root", configuration: config(), clock: ManualClock(), logger: quiet, children: [spec])
        let run = Task { try await sup.run() }
        try await waitCount(probe, "start t")
        try await sup.terminateChild("t")
        let node = await sup.status().find(path: "t")
        #expect(node?.state == .stopped)
        #expect(probe.count("start t") == 1)
        try await sup.restartChild("t")
        try await waitCount(probe, "start t", 2)
        await sup.shutdown()
        try await run.value
    }
}
