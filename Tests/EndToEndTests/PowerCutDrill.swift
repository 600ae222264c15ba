import Docker
import Foundation
import SeededRandom
import Services
import Store
import Supervision
import Testing

/// The power-cut drill of issue 13 (fault 1): a daemon with a real deployment (a built image, a
/// health check, parameters, webhooks) and a second deployment that is added and removed, cut
/// with SIGKILL at moments drawn from a seeded schedule during `repo add`, deploys, rollbacks,
/// `param set`, `repo remove`, webhook bursts and the recoveries that follow, restarted at once
/// after every cut. What each cut left is checked before the restart (a copy of the database:
/// `PRAGMA integrity_check`, every deployment registered with its key or not at all, no file
/// half-written, nothing acknowledged lost), what the restart did after it (runs left open now
/// `interrupted`, no orphaned `docker compose` or git worker beside the new daemon, no leftovers),
/// and at the end of every round of cuts the deployments converge on their branch heads with
/// no operator. `MEASURE` lines give the numbers.
final class PowerCutDrill {
    let s: Scenario
    private var random: SplitMix
    let seed: UInt64
    /// The deployment that is added and removed.
    let second: String
    private let idleRemote: String
    private var idleHead = ""
    private var secret = ""
    private var databaseKey: [UInt8] = []
    private let probe: AppProbe

    // What the workload should become.
    private var version = 1
    private var head = ""
    private var headIsGood = true
    private var lastGood = (commit: "", text: "version 1\n")

    // What was acknowledged (must never be lost) and what a cut left undecided.
    private var parameter: String?
    private var ackedDeliveries: Set<String> = []
    private var ackedDeploys: Set<String> = []
    private var secondRegistered = false
    private var secondMust: Bool?
    private var deliveryCounter = 0

    // Numbers.
    private(set) var kills: [(operation: String, delay: Double)] = []
    private(set) var failedKills = 0
    private var restartSeconds: [Double] = []
    private var reconvergeSeconds: [Double] = []
    private var dataLost = 0
    private var interruptedSeen = 0
    private var orphansSeen = 0
    private var rounds = 0
    private var operations: [String: Int] = [:]

    /// Operations of a round, with their weights and the span (seconds) the first cut is drawn from.
    enum Operation: String, CaseIterable {
        case deploy, webhooks, rollback, parameter
        case addRemove = "repo add/remove"
        case quiet

        var weight: Int {
            switch self {
            case .deploy: 3
            case .webhooks, .rollback, .parameter, .addRemove: 2
            case .quiet: 1
            }
        }
        var span: Double {
            switch self {
            case .deploy, .webhooks: 5
            case .rollback: 10
            case .parameter: 4
            case .addRemove: 2.5
            case .quiet: 3
            }
        }
    }

    init(seed: UInt64) throws {
        self.seed = seed
        random = SplitMix(state: seed)
        s = try Scenario()
        second = s.name + "-b"
        probe = AppProbe(port: s.appPort)
        idleRemote = try s.makeRemote(
            "idle",
            compose: """
                services:
                  idle:
                    image: stevedore/busybox:latest
                    init: true
                    command: ["sleep", "3600"]
                x-stevedore:
                  health_check_timeout: 5
                """)
        idleHead = try sh("git -C '\(idleRemote)' rev-parse main")
        head = try s.commitFile("compose.yaml", compose(good: true), message: "power-cut drill app")
        lastGood = (head, "version 1\n")
    }

    /// The app's Compose file: a good one has a health check that passes; a bad one's never
    /// does (the pipeline rolls it back) while the page still serves.
    func compose(good: Bool) -> String {
        """
        services:
          web:
            build: .
            init: true
            restart: unless-stopped
            ports: ["127.0.0.1:\(s.appPort):8080"]
            environment:
              GREETING: ${GREETING:-none}
            healthcheck:
              test: \(good ? #"["CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:8080/"]"# : #"["CMD", "false"]"#)
              interval: 1s
              timeout: 2s
              retries: 2
        x-stevedore:
          health_check_timeout: 6
        """
    }

    func tearDown() {
        s.stopDaemon()
        _ = try? sh(
            """
            for p in stevedore-\(second) \(s.project); do
              ids=$(docker ps -aq --filter label=com.docker.compose.project=$p); [ -z "$ids" ] || docker rm -f $ids >/dev/null
              docker network rm ${p}_default >/dev/null 2>&1
              imgs=$(docker images -q --filter label=com.docker.compose.project=$p | sort -u); [ -z "$imgs" ] || docker rmi -f $imgs >/dev/null 2>&1
            done; true
            """)
        s.tearDown()
    }

    private func draw(_ range: ClosedRange<Double>) -> Double { Double.random(in: range, using: &random) }
    private func draw(_ range: ClosedRange<Int>) -> Int { Int.random(in: range, using: &random) }

    private func pick() -> Operation {
        let total = Operation.allCases.map(\.weight).reduce(0, +)
        var roll = draw(0...(total - 1))
        for operation in Operation.allCases {
            if roll < operation.weight { return operation }
            roll -= operation.weight
        }
        return .quiet
    }

    // MARK: The drill

    func run(cuts: Int) async throws {
        let clock = ContinuousClock()
        let started = clock.now
        try await s.startDaemon(every: .milliseconds(50))
        #expect(try s.cli("repo", "add", s.name, s.remote).status == 0)
        try await waitUntil("the first deploy serves") { await httpGet(s.appURL)?.1 == "version 1\n" }
        secret = try (s.json("repo", "webhook", s.name) as? [String: Any])?["secret"] as? String ?? ""
        databaseKey = try DatabaseKey.resolve(environment: [:], defaultFile: s.root + "/system/db.key", generate: false)
        probe.start()
        while kills.count < cuts {
            rounds += 1
            let operation = pick()
            operations[operation.rawValue, default: 0] += 1
            let script = try launch(operation)
            let cutsThisRound = min(draw(3...6), cuts - kills.count)
            for index in 0..<cutsThisRound {
                let delay = index == 0 ? draw(0...operation.span) : draw(0...1.5)
                try await Task.sleep(for: .milliseconds(Int(delay * 1000)))
                try await cut(
                    during: index == 0 ? operation.rawValue : "recovery after \(operation.rawValue)", delay: delay,
                    script: index == 0 ? script : nil)
            }
            try await converge()
        }
        let summary = probe.stop()
        try report(summary, took: (clock.now - started).seconds)
    }

    /// Starts the operation's steps in the background and updates what the workload should become.
    private func launch(_ operation: Operation) throws -> BackgroundScript? {
        let bin = stevedoreBinary
        let env = s.environment
        let name = s.name
        switch operation {
        case .deploy, .webhooks:
            version += 1
            try compose(good: true).write(toFile: s.source + "/compose.yaml", atomically: true, encoding: .utf8)
            head = try s.commitChange("echo 'version \(version)' > www/index.html", message: "version \(version)")
            headIsGood = true
            lastGood = (head, "version \(version)\n")
            if operation == .deploy {
                return BackgroundScript { $0.step("deploy up", bin, ["deploy", "up", name, "--json"], environment: env) }
            }
            deliveryCounter += 1
            let ids = (0..<10).map { "power-cut-\(seed)-\(deliveryCounter)-\($0)" }
            let body = #"{"ref":"refs/heads/main","after":"\#(head)","repository":{"full_name":"o/r"}}"#
            let signature = WebhookVerifier.signature(body: Data(body.utf8), secret: secret)
            let url = "\(s.apiURL)/hooks/github/\(name)"
            return BackgroundScript { script in
                DispatchQueue.concurrentPerform(iterations: ids.count) { i in
                    let result =
                        (try? runProgram(
                            "/usr/bin/curl",
                            [
                                "-s", "-o", "/dev/null", "-w", "%{http_code}", "-X", "POST", "-H", "Content-Type: application/json",
                                "-H", "X-GitHub-Event: push", "-H", "X-GitHub-Delivery: \(ids[i])", "-H",
                                "X-Hub-Signature-256: sha256=\(signature)", "--data-binary", body, url,
                            ])) ?? CommandResult(status: -1, stdout: "", stderr: "")
                    script.record("webhook \(ids[i])", result)
                }
            }
        case .rollback:
            version += 1
            try compose(good: false).write(toFile: s.source + "/compose.yaml", atomically: true, encoding: .utf8)
            head = try s.commitChange("echo 'broken \(version)' > www/index.html", message: "broken \(version)")
            headIsGood = false
            return BackgroundScript { $0.step("deploy up", bin, ["deploy", "up", name, "--json"], environment: env) }
        case .parameter:
            let value = "greeting-\(draw(0...1_000_000))"
            let previous = parameter
            pendingParameter = (previous, value)
            return BackgroundScript { script in
                guard script.step("param set \(value)", bin, ["param", "set", name, "GREETING", value], environment: env)
                else { return }
                script.step("deploy up", bin, ["deploy", "up", name, "--json"], environment: env)
            }
        case .addRemove:
            let adding = !secondRegistered
            let second = second
            let remote = idleRemote
            secondMust = nil
            return BackgroundScript { script in
                if adding {
                    script.step("repo add", bin, ["repo", "add", second, remote, "--poll-interval", "10s"], environment: env)
                } else {
                    script.step("repo remove", bin, ["repo", "remove", second], environment: env)
                }
            }
        case .quiet:
            return nil
        }
    }

    private var pendingParameter: (previous: String?, value: String)?

    /// One cut: SIGKILL, what it left, the restart, what the restart did.
    private func cut(during operation: String, delay: Double, script: BackgroundScript?) async throws {
        let context = "cut \(kills.count + 1) (\(operation), \(String(format: "%.2f", delay)) s; seed \(seed))"
        kills.append((operation, delay))
        s.killDaemon()
        try await script?.wait()
        var problems: [String] = []
        if let script { absorb(script, problems: &problems) }

        // 1. What the cut left, as the next daemon finds it.
        let snapshot = try copyDatabase()
        let db = try Connection(path: snapshot, key: databaseKey)
        let integrity = try db.query("PRAGMA integrity_check").map { $0.string(0) ?? "" }
        if integrity != ["ok"] { problems.append("integrity_check: \(integrity)") }
        problems += try consistency(db)
        let registered = Set(try db.query("SELECT name FROM deployments").compactMap { $0.string(0) })
        problems += try files(db, registered: registered)
        problems += try lostWrites(db, registered: registered)
        let openRuns = try db.query("SELECT id, deployment FROM runs WHERE ended_at IS NULL").map {
            (id: $0.int(0) ?? 0, deployment: $0.string(1) ?? "")
        }
        db.close()
        let workers = try await DockerEngine().containers(labels: ["com.stevedore.root=\(s.root)"]).map(\.id)
        orphansSeen += composeProcesses().count

        // 2. The restart.
        let clock = ContinuousClock()
        let restartStart = clock.now
        try await s.startDaemon(appendLog: true, every: .milliseconds(50))
        restartSeconds.append((clock.now - restartStart).seconds)

        // 3. What the restart did.
        let daemon = s.daemonPID ?? -1
        // A run of the new daemon that ends between the scan and the walk up its parents is
        // gone, not a stray (seen once: both processes of a finishing `compose` run flagged).
        let strays = composeProcesses().filter { lineage($0.pid, of: daemon) == .stray }
        if !strays.isEmpty {
            problems.append(
                "orphaned Compose runs beside the new daemon \(daemon): \(strays.map { "\($0.command) (parents \(parents(of: $0.pid)))" })")
        }
        let remaining = Set(try await DockerEngine().containers(labels: ["com.stevedore.root=\(s.root)"]).map(\.id))
        let oldWorkers = workers.filter { remaining.contains($0) }
        if !oldWorkers.isEmpty { problems.append("git workers of the killed daemon still there: \(oldWorkers)") }
        for run in openRuns {
            interruptedSeen += 1
            let history = try s.json("history", run.deployment, "--limit", "100") as? [[String: Any]] ?? []
            let outcome = history.first { $0["id"] as? Int == run.id }?["outcome"] as? String
            if outcome != "interrupted" {
                problems.append("run \(run.id) of \(run.deployment) left open is \(outcome ?? "missing"), not interrupted")
            }
        }
        problems += leftovers(registered: registered)
        if !problems.isEmpty {
            failedKills += 1
            Issue.record("\(context): \(problems.joined(separator: "; "))")
        }
    }

    /// Takes what the operation's steps acknowledged (never to be lost) before the cut.
    private func absorb(_ script: BackgroundScript, problems: inout [String]) {
        for (name, result) in script.steps {
            if name.hasPrefix("webhook "), (200..<300).contains(Int(result.stdout) ?? 0) {
                ackedDeliveries.insert("github:" + name.dropFirst("webhook ".count))
            } else if name == "deploy up", result.status == 0,
                let json = try? JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any],
                json["outcome"] as? String == "succeeded", let commit = json["commit"] as? String
            {
                ackedDeploys.insert(commit)
            } else if name.hasPrefix("param set "), result.status == 0 {
                parameter = String(name.dropFirst("param set ".count))
                pendingParameter = nil
            } else if name == "repo add", result.status == 0 {
                secondMust = true
            } else if name == "repo remove", result.status == 0 {
                secondMust = false
            }
        }
    }

    /// Copies the database as the cut left it (the file and its WAL or rollback journal, not
    /// the shared-memory index, which a power cut loses too) and returns the copy's path.
    private func copyDatabase() throws -> String {
        let fm = FileManager.default
        let copy = s.dir + "/snapshot"
        try? fm.removeItem(atPath: copy)
        try fm.createDirectory(atPath: copy, withIntermediateDirectories: true)
        let database = s.root + "/system/stevedore.db"
        for suffix in ["", "-wal", "-journal"] where fm.fileExists(atPath: database + suffix) {
            try fm.copyItem(atPath: database + suffix, toPath: copy + "/stevedore.db" + suffix)
        }
        return copy + "/stevedore.db"
    }

    /// Every deployment registered with its key and status, or not at all; no row of a
    /// deployment that is gone; at most one open run per deployment; the app always registered.
    private func consistency(_ db: Connection) throws -> [String] {
        var problems: [String] = []
        func names(_ sql: String) throws -> [String] { try db.query(sql).compactMap { $0.string(0) } }
        let withoutKey = try names("SELECT name FROM deployments WHERE name NOT IN (SELECT deployment FROM deploy_keys)")
        if !withoutKey.isEmpty { problems.append("registered without a key: \(withoutKey)") }
        let withoutStatus = try names("SELECT name FROM deployments WHERE name NOT IN (SELECT name FROM deployment_status)")
        if !withoutStatus.isEmpty { problems.append("registered without a status row: \(withoutStatus)") }
        for (table, column) in [
            ("deploy_keys", "deployment"), ("deployment_status", "name"), ("parameters", "deployment"),
            ("webhook_secrets", "deployment"), ("webhook_deliveries", "deployment"), ("runs", "deployment"),
        ] {
            let strays = try names("SELECT DISTINCT \(column) FROM \(table) WHERE \(column) NOT IN (SELECT name FROM deployments)")
            if !strays.isEmpty { problems.append("\(table) rows of unregistered deployments: \(strays)") }
        }
        let doubleOpen = try names("SELECT deployment FROM runs WHERE ended_at IS NULL GROUP BY deployment HAVING count(*) > 1")
        if !doubleOpen.isEmpty { problems.append("more than one open run: \(doubleOpen)") }
        if try names("SELECT name FROM deployments WHERE name = '\(s.name)'").isEmpty { problems.append("the app is no longer registered") }
        return problems
    }

    /// No file half-written: keys, public keys, sync markers, `.positions`, and a checkout in
    /// place has a commit.
    private func files(_ db: Connection, registered: Set<String>) throws -> [String] {
        var problems: [String] = []
        let hex64 = /^[0-9a-f]{64}\n$/
        for key in ["db.key", "admin.key"] {
            let text = (try? String(contentsOfFile: s.root + "/system/" + key, encoding: .utf8)) ?? ""
            if (try? hex64.wholeMatch(in: text)) == nil { problems.append("system/\(key) is \(text.utf8.count) bytes, not a key") }
        }
        for name in registered {
            let dir = s.root + "/deployments/" + name
            if let text = try? String(contentsOfFile: dir + "/ssh/deploy_key.pub", encoding: .utf8) {
                let key = try db.query("SELECT public_key FROM deploy_keys WHERE deployment = ?", [.text(name)]).first?.string(0)
                if text != (key ?? "") + "\n" {
                    problems.append("\(name)/ssh/deploy_key.pub is not the deployment's key line: \(text.prefix(40))")
                }
            }
            if let text = try? String(contentsOfFile: dir + "/sync-in-progress", encoding: .utf8),
                (try? /^([0-9a-f]{40})?\n$/.wholeMatch(in: text)) == nil
            {
                problems.append("\(name)/sync-in-progress is half-written: \(text.debugDescription)")
            }
            if let text = try? String(contentsOfFile: dir + "/logs/.positions", encoding: .utf8) {
                for line in text.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
                where (try? /^[0-9a-f]{12} \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/.wholeMatch(in: String(line))) == nil {
                    problems.append("\(name)/logs/.positions has a bad line: \(line.debugDescription)")
                }
                if !text.isEmpty && !text.hasSuffix("\n") { problems.append("\(name)/logs/.positions is cut short") }
            }
            if FileManager.default.fileExists(atPath: dir + "/repo"), GitHead.read(directory: dir + "/repo") == nil {
                problems.append("\(name)/repo is in place without a commit checked out")
            }
        }
        return problems
    }

    /// What was acknowledged before the cut is in the database; what a cut left undecided is
    /// one side or the other, never something else.
    private func lostWrites(_ db: Connection, registered: Set<String>) throws -> [String] {
        var lost: [String] = []
        let deliveries = Set(
            try db.query("SELECT delivery_id FROM webhook_deliveries WHERE deployment = ?", [.text(s.name)]).compactMap { $0.string(0) })
        let missing = ackedDeliveries.subtracting(deliveries)
        if !missing.isEmpty { lost.append("acknowledged webhook deliveries missing: \(missing.sorted())") }
        let succeeded = Set(
            try db.query("SELECT target_commit FROM runs WHERE deployment = ? AND outcome = 'succeeded'", [.text(s.name)]).compactMap {
                $0.string(0)
            })
        let deploys = ackedDeploys.subtracting(succeeded)
        if !deploys.isEmpty { lost.append("acknowledged deploys missing from the history: \(deploys.sorted())") }
        let value = try db.query("SELECT value FROM parameters WHERE deployment = ? AND key = 'GREETING'", [.text(s.name)]).first?.string(0)
        if let pending = pendingParameter {
            if value != pending.previous && value != pending.value {
                lost.append("GREETING is \(value ?? "unset"), neither \(pending.previous ?? "unset") nor \(pending.value)")
            }
            parameter = value
            pendingParameter = nil
        } else if value != parameter {
            lost.append("GREETING is \(value ?? "unset"), acknowledged \(parameter ?? "unset")")
        }
        let isRegistered = registered.contains(second)
        if let must = secondMust, must != isRegistered {
            lost.append(
                "\(second) is \(isRegistered ? "registered" : "gone") although its \(must ? "repo add" : "repo remove") was acknowledged")
        }
        secondRegistered = isRegistered
        secondMust = isRegistered
        dataLost += lost.count
        return lost
    }

    /// After the restart: no temporary file of a dead writer, and no checkout or ssh files of a
    /// deployment that is not registered.
    private func leftovers(registered: Set<String>) -> [String] {
        var problems: [String] = []
        let fm = FileManager.default
        var directories = [s.root + "/system"]
        for name in (try? fm.contentsOfDirectory(atPath: s.root + "/deployments")) ?? [] {
            let dir = s.root + "/deployments/" + name
            directories += [dir, dir + "/ssh"]
            guard !registered.contains(name) else { continue }
            let left = ((try? fm.contentsOfDirectory(atPath: dir)) ?? []).filter {
                $0 == "repo" || $0 == "ssh" || $0 == "sync-in-progress" || $0.hasPrefix("repo.clone-")
            }
            if !left.isEmpty { problems.append("\(name) is not registered but has \(left)") }
        }
        for dir in directories {
            let stale = ((try? fm.contentsOfDirectory(atPath: dir)) ?? []).filter(AtomicFile.isStaleTemporary)
            if !stale.isEmpty { problems.append("stale temporary files in \(dir): \(stale)") }
        }
        return problems
    }

    /// `docker compose` processes (CLI, plugin, v1) of this state root, from `/proc`.
    private func composeProcesses() -> [(pid: pid_t, command: String)] {
        let prefix = s.root + "/deployments/"
        var found: [(pid_t, String)] = []
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
            guard let pid = pid_t(entry),
                let argv = FileManager.default.contents(atPath: "/proc/\(entry)/cmdline")?.split(separator: 0).map({
                    String(decoding: $0, as: UTF8.self)
                }),
                let flag = argv.firstIndex(of: "--project-directory"), flag + 1 < argv.count, argv[flag + 1].hasPrefix(prefix)
            else { continue }
            found.append((pid, argv.prefix(4).joined(separator: " ")))
        }
        return found
    }

    /// Where a process stands relative to `ancestor`.
    private enum Lineage { case descendant, stray, gone }

    /// Walks up `pid`'s parents (`/proc/PID/stat`). A parent that exits during the walk
    /// reparents its children (to the daemon, a child subreaper, or to init): the walk starts
    /// again, at most three times. `.gone` when `pid` itself has exited.
    private func lineage(_ pid: pid_t, of ancestor: pid_t) -> Lineage {
        for _ in 0..<3 {
            let chain = parents(of: pid)
            if chain.isEmpty { return .gone }
            if chain.contains(ancestor) { return .descendant }
            if chain.last == 1 || chain.count >= 32 { return .stray }
            // The chain broke before init: a parent exited meanwhile.
        }
        return kill(pid, 0) == 0 ? .stray : .gone
    }

    /// `pid`, its parent, that one's parent… up to init (1) or the first that cannot be read;
    /// empty when `pid` cannot be read.
    private func parents(of pid: pid_t) -> [pid_t] {
        var chain: [pid_t] = []
        var current = pid
        while chain.count < 32, current > 0 {
            chain.append(current)
            if current == 1 { break }
            guard let stat = try? String(contentsOfFile: "/proc/\(current)/stat", encoding: .utf8),
                let close = stat.lastIndex(of: ")")
            else {
                chain.removeLast()  // unreadable: not part of the chain
                break
            }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            guard fields.count > 1, let parent = pid_t(fields[1]) else { break }
            current = parent
        }
        return chain
    }

    // MARK: Convergence

    /// Waits until, with no operator: the app runs the newest good commit (the branch head, or
    /// the commit before a broken head, which is then the failed commit), serves its page, no run
    /// is open or interrupted, and the second deployment runs its head if registered, or has no
    /// containers if not.
    private func converge() async throws {
        let clock = ContinuousClock()
        let start = clock.now
        var last = ""
        do {
            try await waitUntil("convergence (seed \(seed))", limit: .seconds(240), every: .milliseconds(200)) {
                let status = try s.deploymentStatus()
                let run = status["last_run"] as? [String: Any]
                guard status["deployed_commit"] as? String == lastGood.commit else {
                    last = "deployed \(status["deployed_commit"] ?? "nil"), want \(lastGood.commit.prefix(12))"
                    return false
                }
                guard headIsGood || status["failed_commit"] as? String == head else {
                    last = "failed_commit \(status["failed_commit"] ?? "nil"), want \(head.prefix(12))"
                    return false
                }
                guard status["pipeline"] as? String == "idle", run?["ended_at"] != nil, run?["outcome"] as? String != "interrupted" else {
                    last = "pipeline \(status["pipeline"] ?? "?"), last run \(run?["outcome"] ?? "open")"
                    return false
                }
                let answer = await httpGet(s.appURL)
                guard answer?.1 == lastGood.text else {
                    let format = "'{{.Names}} {{.Image}} {{.Status}}'"
                    let filter = "label=com.docker.compose.project=\(s.project)"
                    let containers = (try? sh("docker ps -a --filter \(filter) --format \(format)")) ?? "?"
                    let answered = answer.map { "\($0.0) \($0.1.debugDescription)" } ?? "nothing"
                    last =
                        "the app does not serve \(lastGood.text.debugDescription) (it answers \(answered); deployed \(lastGood.commit.prefix(12)), "
                        + "last run \(run?["id"] ?? "?") \(run?["outcome"] ?? "?"); containers: \(containers))"
                    return false
                }
                let registered = try s.cli("status", second, "--json")
                if registered.status == 0 {
                    let other = try JSONSerialization.jsonObject(with: Data(registered.stdout.utf8)) as? [String: Any] ?? [:]
                    guard other["deployed_commit"] as? String == idleHead, other["pipeline"] as? String == "idle",
                        (other["health"] as? [String: Any])?["state"] as? String == "healthy"
                    else {
                        last = "\(second): deployed \(other["deployed_commit"] ?? "nil"), \(other["pipeline"] ?? "?")"
                        return false
                    }
                } else if try !sh("docker ps -aq --filter label=com.docker.compose.project=stevedore-\(second)").isEmpty {
                    last = "\(second) is gone but has containers"
                    return false
                }
                return true
            }
        } catch {
            // What a replay (STEVEDORE_SEED) needs to find the cause: the round's cuts, the
            // runs, and what the daemon logged last.
            let cuts = kills.suffix(8).map { "\($0.operation) at \(String(format: "%.2f", $0.delay)) s" }.joined(separator: ", ")
            let runs = ((try? s.history(limit: 6)) ?? []).map { run in
                ["id", "trigger", "target_commit", "outcome", "reason"].map { key in
                    let value = run[key].map { "\($0)" } ?? "-"
                    return key == "target_commit" ? String(value.prefix(12)) : String(value.prefix(160))
                }.joined(separator: " ")
            }
            let log = s.daemonLog().split(separator: "\n").suffix(40).map { String($0.prefix(300)) }.joined(separator: "\n  ")
            throw HarnessError(
                "\(error); last seen: \(last)\nround \(rounds), last cuts: \(cuts)\nruns (newest first):\n  \(runs.joined(separator: "\n  "))\nhead \(head.prefix(12)) (good: \(headIsGood))\ndaemon log:\n  \(log)"
            )
        }
        reconvergeSeconds.append((clock.now - start).seconds)
    }

    // MARK: Numbers

    private func report(_ probe: AppProbe.Summary, took: Double) throws {
        func stats(_ values: [Double]) -> String {
            let sorted = values.sorted()
            guard !sorted.isEmpty else { return "n/a" }
            return String(format: "median %.2f s, max %.2f s", sorted[sorted.count / 2], sorted.last!)
        }
        let history = try s.history(limit: 1000)
        let count = { (outcome: String) in history.filter { $0["outcome"] as? String == outcome }.count }
        let reruns = history.filter { ($0["triggers"] as? String)?.contains(RunRequest.interruptedTrigger) == true }.count
        print(
            "MEASURE power-cut: seed \(seed), \(rounds) rounds (\(operations.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")))"
        )
        print("MEASURE power-cut: kills injected \(kills.count), survived \(kills.count - failedKills)")
        let during = Dictionary(grouping: kills, by: { $0.operation.hasPrefix("recovery") ? "recovery" : $0.operation }).mapValues(\.count)
        print(
            "MEASURE power-cut: kills during \(during.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))")
        print(
            String(
                format:
                    "MEASURE power-cut: workload downtime %.1f s in %d outages (longest %.1f s) over %.0f s, sampled every 100 ms; %d deploys succeeded, %d rolled back (each new container means a short gap)",
                probe.downSeconds, probe.outages, probe.longestSeconds, took, count("succeeded"), count("rolled_back")))
        print(
            "MEASURE power-cut: data lost \(dataLost) (acknowledged: \(ackedDeliveries.count) webhook deliveries, \(ackedDeploys.count) deploys, the last param set, repo add/remove)"
        )
        print(
            "MEASURE power-cut: time to reconverge after a round of cuts \(stats(reconvergeSeconds)); daemon restart to /healthz \(stats(restartSeconds))"
        )
        print(
            "MEASURE power-cut: runs left open and closed as interrupted \(interruptedSeen), run again \(reruns); orphaned Compose processes found after a cut \(orphansSeen), left beside the new daemon 0"
        )
        #expect(dataLost == 0)
        #expect(failedKills == 0)
    }
}
