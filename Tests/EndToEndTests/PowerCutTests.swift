import Foundation
import Testing

/// Issue 13, fault 1: a power cut at any moment. SIGKILL (what the process sees of a power
/// cut) at `STEVEDORE_POWER_CUTS` moments (100 by default; scripts/drill-power-cut.sh runs
/// more) drawn from a seeded schedule: `STEVEDORE_SEED` replays a run. See ``PowerCutDrill``.
@Suite(.serialized) struct PowerCutTests {
    @Test(
        "SIGKILL at seeded random moments of repo add/remove, deploys, rollbacks, param set and webhook bursts: nothing corrupt, half-written or lost; it converges"
    )
    func powerCutAtAnyMoment() async throws {
        let environment = ProcessInfo.processInfo.environment
        let seed = environment["STEVEDORE_SEED"].flatMap(UInt64.init) ?? UInt64.random(in: 0 ... .max)
        let cuts = environment["STEVEDORE_POWER_CUTS"].flatMap(Int.init) ?? 100
        print("power-cut drill: seed \(seed) (replay with STEVEDORE_SEED=\(seed)), \(cuts) cuts (STEVEDORE_POWER_CUTS)")
        let drill = try PowerCutDrill(seed: seed)
        defer { drill.tearDown() }
        try await drill.run(cuts: cuts)
    }
}
