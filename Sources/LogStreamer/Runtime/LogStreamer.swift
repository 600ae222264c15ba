import AsyncHTTPClient
import Docker
import Foundation
import Logging
import NIOCore
import Redaction
import Synchronization

/// The log streamer process (`stevedore log-streamer`, started by the daemon as the
/// process-isolated child `log-streamer`, docs/SUPERVISION.md): follows the output of every
/// container of every deployment and writes it, redacted, to `deployments/<name>/logs/`.
///
/// - Its configuration and secrets arrive only on its standard input
///   (``LogStreamerMessage``), never in a file, an argument or the environment. End of input
///   means the daemon is gone: the streamer exits.
/// - New containers are picked up from the Engine API's `/events` stream (`start`), not by
///   polling; at start and after the engine comes back, the running containers are listed.
/// - Each container is followed by its own task (`/containers/{id}/logs?follow=1&
///   timestamps=1&since=…`) that resumes where its records end in the files
///   (``LogResumePoint``); writes go through one queue per deployment
///   (``DeploymentLogWriter``).
/// - sd_notify(3) to its supervisor: `READY=1` once the configuration is applied and the
///   running containers' streams are opened, `WATCHDOG=1` every heartbeat, `STATUS=` with
///   streams and lines/s, `X_STEVEDORE_DEGRADED=` while the engine is unreachable or a disk
///   write fails (it retries every few seconds and resumes when space is back).
public final class LogStreamer: Sendable {
    private let notify: @Sendable (String) -> Void
    private let logger: Logger
    private let state = Mutex(State())
    private let lines = Atomic<Int>(0)

    private struct State {
        var configuration: LogStreamerConfiguration?
        var rules = RedactionRules.empty
        var projects: [String: String] = [:]  // project → deployment
        var writers: [String: DeploymentLogWriter] = [:]
        var followers: [String: Task<Void, Never>] = [:]
        /// Containers started again while their follower was ending: it goes on instead.
        var startedAgain: Set<String> = []
        var engineProblem: String?
        var writeProblems: [String: String] = [:]  // container → reason
        var heartbeats = true
        var docker: DockerEngine?
    }

    /// - Parameters:
    ///   - notify: sends sd_notify assignments (e.g. `READY=1`) to the supervisor.
    public init(notify: @escaping @Sendable (String) -> Void, logger: Logger) {
        self.notify = notify
        self.logger = logger
    }

    /// Runs until standard input ends or SIGTERM; then saves positions and returns.
    ///
    /// - Parameter input: the control pipe's file descriptor (standard input).
    public func run(input: Int32 = 0) async {
        let (messages, continuation) = AsyncStream.makeStream(of: LogStreamerMessage?.self)
        let reader = Thread { [logger] in
            var parser = LogStreamerMessageReader()
            var buffer = [UInt8](repeating: 0, count: 64 * 1024)
            while true {
                let n = buffer.withUnsafeMutableBytes { read(input, $0.baseAddress, $0.count) }
                if n < 0, errno == EINTR { continue }
                guard n > 0 else { break }
                do {
                    for message in try parser.feed(buffer[..<n]) { continuation.yield(message) }
                    if let failure = parser.failure { throw failure }
                } catch {
                    logger.error("control pipe: \(error)")
                    break
                }
            }
            continuation.yield(nil)
            continuation.finish()
        }
        reader.name = "control"
        reader.start()

        signal(SIGTERM, SIG_IGN)
        let term = DispatchSource.makeSignalSource(signal: SIGTERM)
        term.setEventHandler { continuation.yield(nil) }
        term.resume()

        await withTaskGroup(of: Void.self) { group in
            var started = false
            for await message in messages {
                guard let message else { break }
                switch message {
                case .configure(let configuration):
                    await apply(configuration)
                    if !started {
                        started = true
                        await openRunning()
                        notify("READY=1\nSTATUS=\(statusLine(rate: 0))")
                        group.addTask { await self.followEvents() }
                        group.addTask { await self.heartbeat(every: configuration.heartbeatSeconds) }
                    } else {
                        await openRunning()
                    }
                case .fault(let kind):
                    act(kind)
                }
            }
            group.cancelAll()
        }
        notify("STOPPING=1")
        let (followers, writers) = state.withLock { s in
            defer { s.followers = [:] }
            return (Array(s.followers.values), Array(s.writers.values))
        }
        for follower in followers { follower.cancel() }
        for follower in followers { await follower.value }
        for writer in writers { writer.savePositions(wait: true) }
    }

    /// Acts out a drill fault in this process (``LogStreamerMessage/fault(_:)``).
    private func act(_ kind: String) {
        logger.warning("injected fault: \(kind)")
        switch kind {
        case "trap": fatalError("injected fault: trap (stevedore supervisor fault log-streamer trap)")
        case "throw": exit(70)
        case "hang": state.withLock { $0.heartbeats = false }
        case "ignore-cancellation":
            state.withLock { $0.heartbeats = false }
            signal(SIGTERM, SIG_IGN)
            DispatchQueue.global().async { while true { sleep(3600) } }
        default: logger.error("unknown fault \(kind)")
        }
    }

    private func apply(_ configuration: LogStreamerConfiguration) async {
        let rules = RedactionRules(secrets: configuration.secrets.map { Secret(key: $0.key, value: $0.value) })
        state.withLock { s in
            s.configuration = configuration
            s.rules = rules
            if s.docker == nil || s.docker?.socketPath != configuration.dockerSocket {
                s.docker = DockerEngine(socketPath: configuration.dockerSocket)
            }
            var projects: [String: String] = [:]
            for deployment in configuration.deployments {
                projects[deployment.project] = deployment.name
                if let writer = s.writers[deployment.name], writer.directory == deployment.directory {
                    writer.setLimits(deployment.limits)
                } else {
                    s.writers[deployment.name] = DeploymentLogWriter(
                        name: deployment.name, directory: deployment.directory, limits: deployment.limits)
                }
            }
            let gone = Set(s.writers.keys).subtracting(configuration.deployments.map(\.name))
            for name in gone {
                s.writers[name]?.savePositions()
                s.writers[name] = nil
            }
            // Followers of removed deployments keep their writer until their container
            // stops (`repo remove` stops it; the logs directory is kept).
            s.projects = projects
        }
        logger.info(
            "configured: \(configuration.deployments.count) deployment(s), \(configuration.secrets.count) secret(s), \(rules.formCount) form(s)"
        )
    }

    private var docker: DockerEngine? { state.withLock { $0.docker } }

    /// Lists the running containers of every deployment and follows each not yet followed.
    private func openRunning() async {
        guard let docker else { return }
        let projects = state.withLock { $0.projects }
        do {
            for project in projects.keys.sorted() {
                for container in try await docker.containers(project: project) where container.state == "running" {
                    follow(container.id)
                }
            }
            setEngineProblem(nil)
        } catch {
            setEngineProblem("Docker engine unreachable: \(error)")
        }
    }

    private func followEvents() async {
        while !Task.isCancelled {
            guard let docker else { return }
            do {
                let body = try await docker.containerEvents(["start"], labels: ["com.docker.compose.project"])
                setEngineProblem(nil)
                await openRunning()  // containers started before the subscription
                var lines = ContainerEvent.Lines()
                for try await chunk in body {
                    for line in lines.feed(chunk.readableBytesView) {
                        guard let event = ContainerEvent(line: line), let project = event.attributes["com.docker.compose.project"]
                        else { continue }
                        if state.withLock({ $0.projects[project] != nil }) { follow(event.id) }
                    }
                }
            } catch is CancellationError {
                return
            } catch {
                if Task.isCancelled { return }
                setEngineProblem("Docker engine unreachable: \(error)")
            }
            try? await Task.sleep(for: .seconds(2))
        }
    }

    private func setEngineProblem(_ problem: String?) {
        let changed = state.withLock { s -> Bool in
            defer { s.engineProblem = problem }
            return s.engineProblem != problem
        }
        if changed { reportDegraded() }
    }

    private func setWriteProblem(_ container: String, _ problem: String?) {
        let changed = state.withLock { s -> Bool in
            defer { s.writeProblems[container] = problem }
            return s.writeProblems[container] != problem
        }
        if changed { reportDegraded() }
    }

    private func reportDegraded() {
        let reason = state.withLock { s -> String in
            if let engine = s.engineProblem { return engine }
            return s.writeProblems.values.sorted().first ?? ""
        }
        if !reason.isEmpty { logger.warning("degraded: \(reason)") }
        notify("X_STEVEDORE_DEGRADED=\(reason.replacingOccurrences(of: "\n", with: " "))")
    }

    private func statusLine(rate: Double) -> String {
        let streams = state.withLock { $0.followers.count }
        return "following \(streams) stream(s), \(Int(rate.rounded())) lines/s"
    }

    private func heartbeat(every seconds: Double) async {
        let interval = max(0.2, seconds)
        var previous = lines.load(ordering: .relaxed)
        var previousTime = ContinuousClock.now
        var ticks = 0
        while !Task.isCancelled {
            try? await Task.sleep(for: .seconds(interval))
            let now = ContinuousClock.now
            let total = lines.load(ordering: .relaxed)
            let elapsed = (now - previousTime) / .seconds(1)
            let rate = elapsed > 0 ? Double(total - previous) / elapsed : 0
            previous = total
            previousTime = now
            if state.withLock({ $0.heartbeats }) {
                notify("WATCHDOG=1\nSTATUS=\(statusLine(rate: rate))")
            }
            ticks += 1
            if ticks % 2 == 0 { for writer in state.withLock({ Array($0.writers.values) }) { writer.savePositions() } }
        }
    }

    /// Starts following container `id` unless it is followed already.
    private func follow(_ id: String) {
        state.withLock { s in
            guard s.followers[id] == nil else {
                s.startedAgain.insert(id)
                return
            }
            s.followers[id] = Task { await self.runFollower(id) }
        }
    }

    /// Whether the follower of `id` may end now: not if its container was started again
    /// meanwhile (a `start` event for it arrived while it was still registered).
    private func mayEnd(_ id: String) -> Bool {
        state.withLock { s in
            if s.startedAgain.remove(id) != nil { return false }
            s.followers[id] = nil
            return true
        }
    }

    /// Follows `id` until its container stops for good (``mayEnd(_:)`` unregisters it) or the
    /// streamer stops (cancellation; ``run(input:)`` clears the followers).
    private func runFollower(_ id: String) async {
        var failures = 0
        while !Task.isCancelled {
            do {
                state.withLock { _ = $0.startedAgain.remove(id) }
                let ended = try await followOnce(id)
                setWriteProblem(id, nil)
                if ended, mayEnd(id) { return }
                failures = 0
            } catch is CancellationError {
                return
            } catch let error as LogWriteError {
                setWriteProblem(id, "\(error)")
                failures += 1
            } catch let error as DockerError where Self.containerIsGone(error) {
                setWriteProblem(id, nil)
                if mayEnd(id) { return }
            } catch {
                if Task.isCancelled { return }
                failures += 1
                // Once, then every 5 minutes: a container whose logging driver cannot be read
                // (`none`, or `journald` before Docker 20.10) fails every time.
                if failures == 1 || failures % 60 == 0 {
                    logger.warning("log stream of \(id.prefix(12)) failed (retrying every 5 s): \(error)")
                }
            }
            try? await Task.sleep(for: .seconds(min(5, failures)))
        }
    }

    /// Whether `error` says the container is gone or going: 404, or 409 "can not get logs from
    /// container which is dead or marked for removal" (Docker's answer for a container that
    /// Compose is replacing during a deploy). Its follower ends quietly, as for a stopped
    /// container; a warning there was noise on every deploy.
    static func containerIsGone(_ error: DockerError) -> Bool {
        guard case .api(let status, let message, _) = error else { return false }
        return status == 404 || (status == 409 && message.contains("dead or marked for removal"))
    }

    /// Follows one container until its log stream ends. Returns `true` when the container is
    /// no longer running (the follower ends), `false` to open the stream again.
    private func followOnce(_ id: String) async throws -> Bool {
        guard let docker else { return true }
        let details = try await docker.inspect(container: id)
        let labels = details.config?.labels ?? [:]
        guard let project = labels["com.docker.compose.project"],
            let (writer, rules, idle) = state.withLock({ s -> (DeploymentLogWriter, RedactionRules, Int)? in
                guard let name = s.projects[project], let writer = s.writers[name] else { return nil }
                return (writer, s.rules, s.configuration?.idleFlushMilliseconds ?? 500)
            })
        else { return true }
        let service = Self.fileName(labels["com.docker.compose.service"] ?? String(details.name.dropFirst()))
        let created = details.created.flatMap { LogTimestamp.canonicalBytes(Array($0.utf8)[...]) }
        let resume = try await writer.resumePoint(container: id, service: service, notBefore: created)
        let since = resume.flatMap { LogTimestamp(parsing: $0.timestamp) }?.sinceParameter
        let session = DeploymentLogWriter.Session()
        let box = FollowerBox(
            container: id, rules: rules, lineBytes: writer.currentLimits.lineBytes, tty: details.config?.tty ?? false,
            resume: resume)
        logger.debug("following \(id.prefix(12)) (\(service)) since \(since ?? "the start")")

        // Writes are queued without waiting; every 256 KiB the stream waits for the disk,
        // so that a container printing faster than the disk takes it slows only its own
        // stream (the engine keeps the rest in its log), with bounded memory.
        // A failed write marks the streamer degraded at once (the stream learns it at its next
        // piece); the first write that succeeds again clears it.
        let report: @Sendable (LogWriteError?) -> Void = { [self] error in
            setWriteProblem(id, error.map { "\($0)" })
        }
        // A line left without newline is written after the idle time; the flusher sleeps
        // only while something is pending (an idle stream costs no wake-ups).
        let (pendingSignal, signalContinuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        let flusher = Task {
            for await _ in pendingSignal {
                while !Task.isCancelled, box.hasPending {
                    try? await Task.sleep(for: .milliseconds(max(50, idle)))
                    let records = box.flushIfIdle(after: .milliseconds(idle), currentRules: { self.state.withLock { $0.rules } })
                    if !records.isEmpty {
                        writer.enqueue(service: service, records: records, session: session, done: report)
                        count(records)
                    }
                }
            }
        }
        defer {
            flusher.cancel()
            signalContinuation.finish()
        }
        // Parsing runs on the HTTP client's event loop, a piece of the body at a time: no
        // thread hop per line; the write queue batches under load.
        try await docker.followLogs(container: id, since: since) { [self] chunk, loop in
            if let error = session.error { return loop.makeFailedFuture(error) }
            let records = box.take(chunk, rules: state.withLock { $0.rules })
            if box.hasPending { signalContinuation.yield() }
            guard !records.isEmpty else { return nil }
            writer.enqueue(service: service, records: records, session: session, done: report)
            count(records)
            guard box.addUnconfirmed(chunk.readableBytes) >= 256 * 1024 else { return nil }
            let promise = loop.makePromise(of: Void.self)
            writer.barrier(session) { error in
                if let error { promise.fail(error) } else { promise.succeed() }
            }
            return promise.futureResult
        }
        flusher.cancel()
        let last = box.finish()
        if !last.isEmpty {
            writer.enqueue(service: service, records: last, session: session, done: report)
            count(last)
        }
        try await writer.barrier(session)
        let now = try? await docker.inspect(container: id)
        return !(now?.state.running ?? false)
    }

    private func count(_ records: [LogRecord]) {
        lines.add(records.count, ordering: .relaxed)
    }

    /// A service name as a file name: `/` and NUL become `_`; a name that is empty or starts
    /// with `.` gets a leading `_` (dot files are the set's own, e.g. `.positions`).
    static func fileName(_ service: String) -> String {
        var name = String(service.map { $0 == "/" || $0 == "\0" ? "_" : $0 })
        if name.hasPrefix(".") || name.isEmpty { name = "_" + name }
        return name
    }
}
