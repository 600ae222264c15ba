import Testing

@testable import Supervision

/// OTP `supervisor` rules about child specs and what ends a supervisor, one test per rule,
/// named after it (source: the OTP `supervisor` reference manual, "Child specification",
/// "Restart intensity", `auto_shutdown`, and `supervisor.erl`'s `add_restart/3`,
/// `check_childspec` and `restart/3`). Each failed on main before the fix it names.
@Suite struct OTPSpecRuleTests {
    /// A child that logs "start ID", reports READY, and then ends as `probe` says:
    /// "end ID" → returns normally, "crash ID" → throws, else runs until stopped ("stop ID").
    func child(_ id: String, _ probe: Probe, restart: RestartType = .permanent) -> ChildSpec {
        .worker(id, restart: restart, readiness: .explicit(timeout: nil)) { context in
            let starts = probe.count("start \(id)")
            probe.record("start \(id)")
            context.ready()
            do {
                try await waitUntil { probe.count("end \(id)") > starts || probe.count("crash \(id)") > starts }
            } catch {
                probe.record("stop \(id)")
                throw error
            }
            if probe.count("crash \(id)") > starts { throw Boom() }
        }
    }

    // MARK: Temporary children leave no spec behind

    @Test(arguments: ["end", "crash"])
    func temporary_aChildThatEndsLeavesNoSpec(how: String) async throws {
        let probe = Probe()
        let sup = Supervisor(
            id: "root", configuration: config(), clock: ManualClock(), logger: quiet,
            children: [
                child("keep", probe), child("tmp", probe, restart: .temporary),
            ])
        try await withRunning(sup) {
            try await eventually { probe.count("start tmp") == 1 }
            probe.record("\(how) tmp")
            try await eventually("tmp deleted") { await sup.childIDs == ["keep"] }
            #expect(await sup.whichChildren.map(\.id) == ["keep"])
            #expect(await sup.childCounts.specs == 1)
            #expect(await sup.status().find(path: "tmp") == nil)
            // The same spec can be started again.
            try await sup.startChild(child("tmp", probe, restart: .temporary))
            #expect(probe.count("start tmp") == 2)
            #expect(await sup.childIDs == ["keep", "tmp"])
        }
    }

    @Test(arguments: [RestartStrategy.oneForAll, .restForOne])
    func temporary_aChildTakenDownBySiblingsRestartLeavesNoSpec(strategy: RestartStrategy) async throws {
        let probe = Probe()
        let sup = Supervisor(
            id: "root", configuration: config(strategy: strategy), clock: ManualClock(), logger: quiet,
            children: [
                child("a", probe), child("tmp", probe, restart: .temporary), child("c", probe),
            ])
        try await withRunning(sup) {
            try await eventually { probe.count("start c") == 1 }
            probe.record("crash a")
            try await eventually { probe.count("start c") == 2 }
            try await eventually { await sup.isSettled() }
            #expect(probe.count("stop tmp") == 1)
            #expect(probe.count("start tmp") == 1)
            #expect(await sup.childIDs == ["a", "c"])
            #expect(await sup.childCounts.specs == 2)
            try await sup.startChild(child("tmp", probe, restart: .temporary))
            #expect(probe.count("start tmp") == 2)
        }
    }

    @Test func temporary_terminateChildDeletesTheSpec() async throws {
        let probe = Probe()
        let sup = Supervisor(
            id: "root", configuration: config(), clock: ManualClock(), logger: quiet,
            children: [
                child("tmp", probe, restart: .temporary)
            ])
        try await withRunning(sup) {
            try await eventually { probe.count("start tmp") == 1 }
            try await sup.terminateChild("tmp")
            #expect(await sup.childIDs.isEmpty)
            await #expect(throws: SupervisorError.notFound("tmp")) { try await sup.restartChild("tmp") }
        }
    }

    // MARK: one_for_all restarts the whole group when a restart fails

    @Test func oneForAll_aFailedRestartStopsTheRestartedChildrenAndRestartsTheWholeGroup() async throws {
        let probe = Probe()
        let clock = ManualClock()
        // b fails its start exactly once: on the first restart after c crashed.
        let b = ChildSpec.worker("b", readiness: .explicit(timeout: nil)) { context in
            probe.record("start b")
            if probe.count("start b") == 2 {
                probe.record("failed b")
                throw Boom()
            }
            context.ready()
            do { try await idle() } catch {
                probe.record("stop b")
                throw error
            }
        }
        let sup = Supervisor(
            id: "root", configuration: config(strategy: .oneForAll), clock: clock, logger: quiet,
            children: [
                child("a", probe), b, child("c", probe),
            ])
        try await withRunning(sup) {
            try await eventually { probe.count("start c") == 1 }
            probe.record("crash c")
            try await eventually("group restarted twice") { probe.count("start c") == 2 }
            try await eventually { await sup.isSettled() }
            let events = probe.events.filter { !$0.hasPrefix("crash") }
            // First attempt: a starts, b fails → a (already restarted) is stopped again; the
            // second attempt starts the whole group in order.
            #expect(
                Array(events.suffix(9)) == [
                    "stop b", "stop a",  // c crashed: the others stop in reverse order
                    "start a", "start b", "failed b", "stop a",  // b failed: the restarted a stops again
                    "start a", "start b", "start c",  // the whole group again
                ])
            #expect(await sup.status().restartsInWindow == 2)  // both attempts counted
        }
    }

    @Test func restForOne_aFailedRestartRetriesFromTheFailedChild() async throws {
        let probe = Probe()
        // b crashes once, then fails its first restart; a (started before it) is never touched.
        let b = ChildSpec.worker("b", readiness: .explicit(timeout: nil)) { context in
            probe.record("start b")
            let n = probe.count("start b")
            if n == 2 { throw Boom() }
            context.ready()
            if n == 1 {
                try await waitUntil { probe.count("crash b") > 0 }
                throw Boom()
            }
            try await idle()
        }
        let sup = Supervisor(
            id: "root", configuration: config(strategy: .restForOne), clock: ManualClock(), logger: quiet,
            children: [
                child("a", probe), b, child("c", probe),
            ])
        try await withRunning(sup) {
            try await eventually { probe.count("start c") == 1 }
            probe.record("crash b")
            try await eventually { probe.count("start c") == 2 }
            try await eventually { await sup.isSettled() }
            #expect(probe.count("start a") == 1)  // a is before b: never touched
            #expect(probe.count("start b") == 3)
        }
    }

    // MARK: bad_combination

    @Test func badCombination_significantChildUnderAutoShutdownNeverIsRefusedInTheInitialList() async throws {
        let sup = Supervisor(
            id: "root", configuration: config(autoShutdown: .never), clock: ManualClock(), logger: quiet,
            children: [
                .worker("job", restart: .transient, significant: true) { _ in try await idle() }
            ])
        await #expect {
            try await sup.run()
        } throws: { error in
            guard case SupervisorError.badCombination(child: "job", let reason) = error else { return false }
            return reason.contains("auto_shutdown: never")
        }
    }

    @Test func badCombination_significantChildUnderAutoShutdownNeverIsRefusedByStartChild() async throws {
        let sup = Supervisor(id: "root", configuration: config(autoShutdown: .never), clock: ManualClock(), logger: quiet)
        try await withRunning(sup) {
            await #expect {
                try await sup.startChild(.worker("job", restart: .temporary, significant: true) { _ in try await idle() })
            } throws: { error in
                if case SupervisorError.badCombination(child: "job", _) = error { return true }
                return false
            }
            #expect(await sup.childIDs.isEmpty)
        }
    }

    @Test func badCombination_significantPermanentChildIsRefused() async throws {
        let sup = Supervisor(id: "root", configuration: config(autoShutdown: .anySignificant), clock: ManualClock(), logger: quiet)
        try await withRunning(sup) {
            await #expect {
                try await sup.startChild(.worker("job", restart: .permanent, significant: true) { _ in try await idle() })
            } throws: { error in
                guard case SupervisorError.badCombination(child: "job", let reason) = error else { return false }
                return reason.contains("restart: permanent")
            }
        }
    }

    // MARK: A supervisor that gives up ends with reason shutdown

    @Test func giveUp_endsWithReasonShutdownSoATransientParentDoesNotRestartIt() async throws {
        let probe = Probe()
        let inner = crashingSupervisor(max: 1, probe)
        let outer = Supervisor(
            id: "root", configuration: config(max: 3), clock: ManualClock(), logger: quiet,
            children: [
                child("bystander", probe), .supervisor(inner, restart: .transient),
            ])
        try await withRunning(outer) {
            try await eventually("inner gave up") { await outer.status().find(path: "inner")?.state == .failed }
            try await eventually { await outer.isSettled() }
            let status = await outer.status()
            #expect(status.state == .running)  // the parent did not give up
            #expect(status.restartsInWindow == 0)  // nor count a restart
            #expect(probe.count("crash") == 2)  // one incarnation of inner: start + 1 restart
            #expect(status.find(path: "inner")?.lastExit?.hasPrefix("shutdown: supervisor 'inner' exceeded") == true)
            #expect(probe.count("start bystander") == 1)
        }
    }

    @Test func giveUp_aPermanentParentRestartsASupervisorThatGaveUp() async throws {
        let probe = Probe()
        let inner = crashingSupervisor(max: 1, probe)
        let outer = Supervisor(
            id: "root", configuration: config(max: 1), clock: ManualClock(), logger: quiet,
            children: [
                .supervisor(inner, restart: .permanent)
            ])
        await #expect(throws: SupervisorError.self) { try await outer.run() }
        #expect(probe.count("crash") == 4)  // two incarnations of inner, then the parent gave up too
    }

    // MARK: Intensity window boundary

    @Test func intensity_aRestartExactlyOnePeriodOldIsInsideTheWindow() async throws {
        // OTP add_restart/3 keeps restarts R >= Now - Period: with 1 restart allowed in 10 s,
        // two restarts exactly 10 s apart exceed it.
        let clock = ManualClock()
        let probe = Probe()
        let sup = periodicCrasher(max: 1, period: .seconds(10), delay: .seconds(10), clock: clock, probe)
        let run = Task { try await sup.run() }
        try await eventually { probe.count("start") == 1 }
        await clock.waitForSleepers(1)
        clock.advance(by: .seconds(10))
        await #expect(throws: SupervisorError.self) { try await run.value }
        #expect(probe.count("start") == 2)
    }

    // MARK: Deviation: dynamic children come back when their supervisor restarts

    @Test func deviation_dynamicChildrenSurviveARestartOfTheirSupervisor() async throws {
        // OTP rebuilds a restarted supervisor from init/1 only; Stevedore's `deployments` keeps
        // the children added at run time (they mirror the database).
        let probe = Probe()
        let dynamic = Supervisor(id: "deployments", configuration: config(), clock: ManualClock(), logger: quiet)
        let root = Supervisor(
            id: "root", configuration: config(), clock: ManualClock(), logger: quiet,
            children: [
                .supervisor(dynamic)
            ])
        try await withRunning(root) {
            try await eventually { await root.status().find(path: "deployments")?.state == .running }
            try await dynamic.startChild(child("hello", probe))
            try await root.restart(path: "deployments")
            try await eventually { probe.count("start hello") == 2 }
            #expect(await dynamic.childIDs == ["hello"])
            #expect(await root.status().find(path: "deployments/hello")?.state == .running)
        }
    }

    // MARK: Beyond OTP: revival of a transient supervisor child that gave up

    @Test func revival_aSubtreeThatGaveUpIsStartedAgainAfterItsBackoffOutsideTheIntensity() async throws {
        let probe = Probe()
        let clock = ManualClock()
        let inner = Supervisor(
            id: "bad", configuration: config(max: 1), clock: clock, logger: quiet,
            children: [
                .worker("crasher") { _ in
                    probe.record("crash")
                    if probe.count("fixed") > 0 { try await idle() }
                    throw Boom()
                }
            ])
        let revival = BackoffPolicy(initial: .seconds(30), maximum: .seconds(120), jitter: 0, resetAfter: .seconds(600))
        let outer = Supervisor(
            id: "deployments", configuration: config(max: 1), clock: clock, logger: quiet,
            children: [
                child("healthy", probe), .supervisor(inner, restart: .transient, revival: revival),
            ])
        try await withRunning(outer) {
            // Gives up twice (each incarnation: start + 1 restart), revived after 30 s, then
            // 60 s; before the second revival the cause goes away and it stays up.
            for (round, delay) in [(1, 30), (2, 60)] {
                try await eventually("gave up \(round)") { probe.count("crash") == 2 * round }
                try await eventually("backoff \(round)") { await outer.status().find(path: "bad")?.state == .backoff }
                let node = try #require(await outer.status().find(path: "bad"))
                #expect(node.nextRestartInSeconds == Double(delay))
                #expect(node.reason?.contains("exceeded its restart intensity") == true)
                #expect(node.health == "degraded")
                if round == 2 { probe.record("fixed") }
                await clock.waitForSleepers(1)
                clock.advance(by: .seconds(delay))
            }
            try await eventually("revived and running") { await outer.status().find(path: "bad/crasher")?.state == .running }
            let status = await outer.status()
            #expect(status.state == .running)
            #expect(status.restartsInWindow == 0)  // revivals are not restarts
            #expect(probe.count("start healthy") == 1)  // the sibling was never touched
        }
    }

    /// Found in the issue 11 trial: `supervisor start|restart` of a child of a subtree that
    /// waits for its revival answered success and did nothing.
    @Test func revival_actionsOnTheChildrenOfAWaitingSubtreeAreRefused() async throws {
        let probe = Probe()
        let inner = crashingSupervisor("bad", max: 0, probe)
        let revival = BackoffPolicy(initial: .seconds(30), maximum: .seconds(30), jitter: 0, resetAfter: .seconds(600))
        let outer = Supervisor(
            id: "root", configuration: config(), clock: ManualClock(), logger: quiet,
            children: [.supervisor(inner, restart: .transient, revival: revival)])
        try await withRunning(outer) {
            try await eventually("backoff") { await outer.status().find(path: "bad")?.state == .backoff }
            for action in ["start", "restart", "stop"] {
                await #expect {
                    switch action {
                    case "start": try await outer.start(path: "bad/crasher")
                    case "restart": try await outer.restart(path: "bad/crasher")
                    default: try await outer.stop(path: "bad/crasher")
                    }
                } throws: { error in
                    error as? SupervisorError == .parentNotRunning(path: "bad/crasher", parent: "bad", state: "backoff")
                }
            }
            // Restarting the subtree itself starts it at once.
            try await outer.restart(path: "bad")
            try await eventually { probe.count("crash") == 2 }
        }
    }

    @Test func revival_needsATransientChild() async throws {
        let inner = Supervisor(id: "inner", configuration: config(), clock: ManualClock(), logger: quiet)
        let outer = Supervisor(
            id: "root", configuration: config(), clock: ManualClock(), logger: quiet,
            children: [
                .supervisor(inner, restart: .permanent, revival: BackoffPolicy())
            ])
        await #expect {
            try await outer.run()
        } throws: { error in
            if case SupervisorError.badCombination(child: "inner", _) = error { return true }
            return false
        }
    }
}

/// ``RestartPlan`` without a supervisor.
@Suite struct RestartPlanTests {
    let children = [
        RestartPlan.Child(id: "a", restart: .permanent, isRunning: true),
        RestartPlan.Child(id: "t", restart: .temporary, isRunning: true),
        RestartPlan.Child(id: "b", restart: .permanent, isRunning: true),
        RestartPlan.Child(id: "c", restart: .transient, isRunning: false),
    ]

    @Test func oneForOne() {
        let plan = RestartPlan(strategy: .oneForOne, ended: "b", children: children)
        #expect(plan == RestartPlan(stop: [], restart: ["b"], delete: []))
    }

    @Test func oneForAll() {
        let plan = RestartPlan(strategy: .oneForAll, ended: "b", children: children)
        #expect(plan.stop == ["t", "a"])  // reverse start order; c does not run
        #expect(plan.restart == ["a", "b", "c"])
        #expect(plan.delete == ["t"])
    }

    @Test func restForOne() {
        let plan = RestartPlan(
            strategy: .restForOne, ended: "t2",
            children: children + [
                RestartPlan.Child(id: "t2", restart: .permanent, isRunning: false)
            ])
        #expect(plan == RestartPlan(stop: [], restart: ["t2"], delete: []))
        let fromA = RestartPlan(strategy: .restForOne, ended: "a", children: children)
        #expect(fromA.stop == ["b", "t"])
        #expect(fromA.restart == ["a", "b", "c"])
        #expect(fromA.delete == ["t"])
    }

    @Test func restartTypes() {
        #expect(RestartPlan.restarts(.permanent, after: .normal))
        #expect(RestartPlan.restarts(.permanent, after: .shutdown("gave up")))
        #expect(RestartPlan.restarts(.transient, after: .error("boom")))
        #expect(!RestartPlan.restarts(.transient, after: .normal))
        #expect(!RestartPlan.restarts(.transient, after: .shutdown("gave up")))
        #expect(!RestartPlan.restarts(.temporary, after: .error("boom")))
    }
}
