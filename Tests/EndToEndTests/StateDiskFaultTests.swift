import Foundation
import Testing

/// A Pi's SD card fills up or turns read-only (issue 13, faults 3 and 4): the state root on a
/// filesystem of its own (a small tmpfs; an ext4 image on a loop device that the kernel
/// remounts read-only after an error), the fault injected while idle and during a deploy.
/// The workload keeps serving, the `store` child says why it is degraded, a refused change
/// is refused clearly, nothing committed is lost, the database stays intact, and once the disk
/// is writable again the daemon converges by itself: no operator action, no restart.
///
/// Git runs on the host (`STEVEDORE_GIT_MODE=local`): the mounts are the test's own (a
/// private mount namespace when run through `.ns`), which the Docker engine may not see, so
/// no worker container may mount a path below them. Nothing else outside this test's
/// directory is touched.
@Suite(.serialized) struct StateDiskFaultTests {
    /// Commits a release whose health gate cannot pass before the test opens its gate
    /// (``openGate(_:)``): the container's health check also needs `/gate/open`, a file in a
    /// host directory outside the state root (bind-mounted read-only), with a start period
    /// long enough that failures before then do not count. So a fault injected once the run
    /// has started lands in the middle of the deploy on any machine, however slow or fast.
    /// (A build of 3 s, then 10 s, was still over before the fault on a loaded machine.)
    func gatedRelease(_ s: Scenario, _ text: String) throws -> String {
        let gate = s.dir + "/gate"
        try FileManager.default.createDirectory(atPath: gate, withIntermediateDirectories: true)
        try? FileManager.default.removeItem(atPath: gate + "/open")
        try """
        x-stevedore:
          health_check_timeout: 600
        services:
          web:
            build: .
            init: true
            restart: unless-stopped
            ports: ["127.0.0.1:\(s.appPort):8080"]
            volumes: ["\(gate):/gate:ro"]
            healthcheck:
              test: ["CMD-SHELL", "test -f /gate/open && wget -q -O /dev/null http://127.0.0.1:8080/"]
              interval: 1s
              timeout: 2s
              retries: 3
              start_period: 600s
        """.write(toFile: s.source + "/compose.yaml", atomically: true, encoding: .utf8)
        return try s.commitFile("www/index.html", "\(text)\n", message: text)
    }

    /// Lets the health gate of a ``gatedRelease(_:_:)`` pass.
    func openGate(_ s: Scenario) throws {
        try "open\n".write(toFile: s.dir + "/gate/open", atomically: true, encoding: .utf8)
    }

    /// Waits for a run newer than `last` to appear; returns its id.
    func runStarted(_ s: Scenario, after last: Int) async throws -> Int {
        var id = 0
        try await waitUntil("a deploy run starts", limit: .seconds(120)) {
            id = try s.history(limit: 1).first?["id"] as? Int ?? 0
            return id > last
        }
        return id
    }

    func storeNode(_ s: Scenario) throws -> (state: String, reason: String) {
        let node = try s.node("store")
        return (node?["state"] as? String ?? "", node?["reason"] as? String ?? "")
    }

    /// The checks of one injected fault, up to its repair: the store says `words`, `status`
    /// shows it, a change is refused with it, the pipeline settles, the workload keeps
    /// serving (no failed sample while idle), and `/healthz` stays 200 (degraded).
    func whileFaulty(
        _ s: Scenario, _ words: String, availability: FaultDrill.Availability, refault: () throws -> Void = {}
    ) async throws {
        try await waitUntil("store degraded: \(words)", limit: .seconds(60)) {
            try refault()
            let store = try storeNode(s)
            return store.state == "degraded" && store.reason.contains(words)
        }
        // The tree, not the database: with a hot journal on a read-only disk even reads fail.
        try await waitUntil("the pipeline settles", limit: .seconds(180)) {
            try refault()
            return (try s.node("deployments/\(s.name)/pipeline")?["status"] as? String ?? "").hasPrefix("idle")
        }
        let idleStart = availability.counts.failed
        // `status` says why, whether it can read the deployments or not.
        let status = try s.cli("status")
        #expect((status.stdout + status.stderr).contains("daemon degraded: store: \(words)"), "\(status.stdout)\(status.stderr)")
        let detail = try s.cli("status", s.name)
        #expect((detail.stdout + detail.stderr).contains("daemon degraded: store: \(words)"), "\(detail.stdout)\(detail.stderr)")
        let health = await httpGet(s.apiURL + "/healthz")
        #expect(health?.0 == 200 && health?.1.contains("\"degraded\"") == true, "\(health?.1 ?? "")")
        try refault()
        let refused = try s.cli("param", "set", s.name, "REFUSED", "never-stored")
        #expect(refused.status == 1)
        #expect(refused.stderr.contains(words), "\(refused.stderr)")
        // Reads still work: history and status answered above; the poller reports it too.
        try await waitUntil("the poller reports it", limit: .seconds(60)) {
            try refault()
            return (try s.node("deployments/\(s.name)/poller")?["reason"] as? String ?? "").contains(words)
        }
        let repairs = try FaultDrill.repairs(s)
        #expect(repairs.restarts == 0 && repairs.events.isEmpty, "a disk fault must not make a child crash or hang: \(repairs)")
        #expect(availability.counts.failed == idleStart, "the workload stopped answering while idle")
    }

    /// After the repair: degraded clears, the run open at the fault is closed, and the
    /// deployment converges to `commit` (serving `text`); returns how long that took.
    func converges(_ s: Scenario, to commit: String, serving text: String, run: Int) async throws -> Duration {
        let repaired = ContinuousClock.now
        defer {
            // Kept for a failure: what the daemon said meanwhile.
            if ContinuousClock.now - repaired > .seconds(200) { print(s.daemonLog().suffix(6000)) }
        }
        var unmet: [String] = []
        do {
            try await waitUntil("converged to \(commit.prefix(12)) with the disk writable", limit: .seconds(240)) {
                let view = try s.deploymentStatus()
                let runs = try s.history(limit: 50)
                let store = try storeNode(s)
                let status = try s.cli("status").stdout
                unmet = []
                if store.state != "running" { unmet.append("store \(store.state): \(store.reason)") }
                if status.contains("daemon degraded") { unmet.append("status: \(status)") }
                if view["deployed_commit"] as? String != commit { unmet.append("deployed \(view["deployed_commit"] ?? "nothing")") }
                if let degraded = view["degraded"] { unmet.append("deployment degraded: \(degraded)") }
                let open = runs.filter { $0["outcome"] == nil }
                if !open.isEmpty { unmet.append("runs without an outcome: \(open)") }
                if !runs.contains(where: { $0["id"] as? Int == run }) { unmet.append("run \(run) not in the history: \(runs.prefix(3))") }
                let answer = await httpGet(s.appURL)?.1
                if answer != "\(text)\n" { unmet.append("the app answers \(answer ?? "nothing")") }
                return unmet.isEmpty
            }
        } catch {
            throw HarnessError("\(error); unmet: \(unmet.joined(separator: "; "))")
        }
        return ContinuousClock.now - repaired
    }

    /// Stops the daemon and checks what a drill must leave: an intact database, nothing of
    /// `before` lost, the refused `REFUSED` parameter absent, no run left open.
    func afterTheDrill(
        _ s: Scenario, before: (parameters: [String: String], runs: [Int64: String])
    ) throws -> (after: (parameters: [String: String], runs: [Int64: String]), lost: [String]) {
        s.stopDaemon()
        #expect(try FaultDrill.integrityCheck(s) == "ok")
        let after = try FaultDrill.committed(s)
        let lost = FaultDrill.lost(before: before, after: after)
        #expect(lost.isEmpty, "committed data lost: \(lost)")
        #expect(after.parameters["REFUSED"] == nil, "a refused change must not appear later")
        #expect(!after.runs.values.contains("open"), "a run left open: \(after.runs)")
        return (after, lost)
    }

    @Test("state disk full while idle and during a deploy: degraded with the reason, nothing lost, recovers when space is freed")
    func stateDiskFull() async throws {
        let s = try Scenario(environment: ["STEVEDORE_GIT_MODE": "local"])
        try FileManager.default.createDirectory(atPath: s.root, withIntermediateDirectories: true)
        try sh("mount -t tmpfs -o size=32m tmpfs '\(s.root)'")
        defer {
            s.stopDaemon()
            _ = try? sh("umount '\(s.root)' 2>/dev/null || umount -l '\(s.root)'; true")
            s.tearDown()
        }
        let filler = s.root + "/filler"
        // Appended to, never truncated: the daemon may free a little meanwhile (SQLite deletes
        // its WAL when a handle closes; git removes what it could not finish), and a drill
        // with space again is no longer the fault it names. Called on every look while faulty.
        func fill() throws { try sh("dd if=/dev/zero of='\(filler)' bs=4k oflag=append conv=notrunc 2>/dev/null; sync; true") }
        func free() throws { try FileManager.default.removeItem(atPath: filler) }

        try await s.startDaemon()
        #expect(try s.cli("repo", "add", s.name, s.remote).status == 0)
        try await waitUntil("v1 serves", limit: .seconds(180)) { await httpGet(s.appURL)?.1 == "version 1\n" }
        #expect(try s.cli("param", "set", s.name, "KEPT", "before-the-fault").status == 0)
        try await waitUntil("the first run is recorded") { try s.history(limit: 1).first?["outcome"] != nil }
        let before = try FaultDrill.committed(s)
        let availability = FaultDrill.Availability(url: s.appURL)
        var reconverge: [Duration] = []

        // 1. While idle.
        try fill()
        try await whileFaulty(s, "state disk full", availability: availability, refault: fill)
        try free()
        let v1 = try sh("git -C '\(s.source)' rev-parse HEAD")
        reconverge.append(try await converges(s, to: v1, serving: "version 1", run: before.runs.keys.max().map(Int.init) ?? 0))
        let idleDowntime = availability.counts.downtime
        #expect(try s.cli("param", "set", s.name, "AFTER", "after-the-fault").status == 0)

        // 2. During a deploy: the disk fills while v2 builds.
        let last = try s.history(limit: 1).first?["id"] as? Int ?? 0
        let v2 = try gatedRelease(s, "version 2")
        let run = try await runStarted(s, after: last)
        #expect(try s.history(limit: 5).first { $0["id"] as? Int == run }?["outcome"] == nil, "the run ended before its gate opened")
        try fill()
        try openGate(s)
        try await whileFaulty(s, "state disk full", availability: availability, refault: fill)
        try free()
        reconverge.append(try await converges(s, to: v2, serving: "version 2", run: run))
        availability.stop()
        let counts = availability.counts

        let (after, lost) = try afterTheDrill(s, before: before)
        #expect(after.parameters["AFTER"] == "after-the-fault")
        FaultDrill.measure(
            fault: "state disk full (tmpfs 32m)", injected: 2, survived: 2, downtime: idleDowntime, lost: lost.count,
            reconverge: reconverge,
            note:
                "idle downtime; during the deploy \(counts.failed) failed samples of \(counts.answered + counts.failed) in all (the deploy's own container swap)"
        )
    }

    @Test("state filesystem turned read-only by the kernel during a deploy: degraded with the reason, nothing lost, recovers once repaired")
    func stateFilesystemReadOnly() async throws {
        let s = try Scenario(environment: ["STEVEDORE_GIT_MODE": "local"])
        let image = s.dir + "/state.img"
        let repairedImage = s.dir + "/state-repaired.img"
        // ext4 with errors=remount-ro, as Raspberry Pi OS mounts its root: after an I/O error
        // the kernel makes it read-only under every open file (`mount -o remount,ro` is refused
        // while the daemon holds its database open for writing).
        try sh(
            "truncate -s 64m '\(image)' && mkfs.ext4 -q -F '\(image)' && mkdir -p '\(s.root)' && mount -o loop,errors=remount-ro '\(image)' '\(s.root)'"
        )
        defer {
            s.stopDaemon()
            _ = try? sh("umount '\(s.root)' 2>/dev/null || umount -l '\(s.root)'; true")
            s.tearDown()
        }
        try await s.startDaemon()
        #expect(try s.cli("repo", "add", s.name, s.remote).status == 0)
        try await waitUntil("v1 serves", limit: .seconds(180)) { await httpGet(s.appURL)?.1 == "version 1\n" }
        #expect(try s.cli("param", "set", s.name, "KEPT", "before-the-fault").status == 0)
        try await waitUntil("the first run is recorded") { try s.history(limit: 1).first?["outcome"] != nil }
        let before = try FaultDrill.committed(s)
        let availability = FaultDrill.Availability(url: s.appURL)

        // During a deploy: an ext4 error (what a failing SD card causes) while v2 builds.
        let last = try s.history(limit: 1).first?["id"] as? Int ?? 0
        let v2 = try gatedRelease(s, "version 2")
        let run = try await runStarted(s, after: last)
        let device = try sh("basename \"$(findmnt -n -o SOURCE '\(s.root)')\"")
        try sh("echo 1 > /sys/fs/ext4/\(device)/trigger_fs_error")
        let probe = try runProgram("/usr/bin/touch", [s.root + "/probe"])
        #expect(probe.status != 0 && probe.stderr.contains("Read-only file system"), "the kernel did not make it read-only: \(probe)")
        if let runs = try? s.history(limit: 5) {  // (reads may fail already: a hot journal on a read-only disk)
            #expect(runs.first { $0["id"] as? Int == run }?["outcome"] == nil, "the fault landed after the run ended")
        }
        try openGate(s)
        // … and on while idle, until repaired.
        try await whileFaulty(s, "state filesystem read-only", availability: availability)
        let faultyFailures = availability.counts.failed

        // Repaired as on a Pi (fsck, mounted again): here a checked copy of the image, mounted
        // at the same path while the daemon runs on.
        try sh(
            "umount -l '\(s.root)' && cp --sparse=always '\(image)' '\(repairedImage)' && { e2fsck -fy '\(repairedImage)' >/dev/null 2>&1; [ $? -le 2 ]; } && mount -o loop,errors=remount-ro '\(repairedImage)' '\(s.root)'"
        )
        let reconverge = try await converges(s, to: v2, serving: "version 2", run: run)
        availability.stop()
        let counts = availability.counts

        let (_, lost) = try afterTheDrill(s, before: before)
        FaultDrill.measure(
            fault: "state filesystem read-only (ext4 errors=remount-ro)", injected: 1, survived: 1, downtime: .zero, lost: lost.count,
            reconverge: [reconverge],
            note:
                "while read-only \(faultyFailures) failed samples (the deploy's own container swap); \(counts.failed) of \(counts.answered + counts.failed) in all; downtime incl. the swap \(counts.downtime)"
        )
    }
}
