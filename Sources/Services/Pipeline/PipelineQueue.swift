import Store

/// The mailboxes of the deploy pipelines, one per deployment: requests that arrive while a
/// run is going are coalesced into one pending run (at most one follow-up), which fetches
/// the newest commit when it starts. Every submitter of the coalesced requests gets that
/// run's result.
public actor PipelineQueue {
    /// A run waiting or running: the coalesced requests and who waits for the result.
    public struct Job: Sendable {
        /// Sequence number (per queue), for logs.
        public let number: Int
        /// Triggers in arrival order (duplicates kept: their count is shown).
        public fileprivate(set) var triggers: [String]
        /// Any request forced.
        public fileprivate(set) var force: Bool
        /// Any request was an operator's `deploy up`.
        public fileprivate(set) var explicit: Bool
        fileprivate var waiters: [CheckedContinuation<RunResult, any Error>] = []

        /// `poll`, `webhook:github ×10`, …: each trigger once, with its count when above one.
        public var triggerSummary: String {
            var order: [String] = []
            var counts: [String: Int] = [:]
            for trigger in triggers {
                if counts[trigger] == nil { order.append(trigger) }
                counts[trigger, default: 0] += 1
            }
            return order.map { counts[$0]! > 1 ? "\($0) ×\(counts[$0]!)" : $0 }.joined(separator: ", ")
        }

        fileprivate mutating func merge(_ request: RunRequest) {
            triggers.append(request.trigger)
            force = force || request.force
            explicit = explicit || request.explicit
        }

        /// Takes `later`'s requests and waiters after this job's own.
        fileprivate mutating func absorb(_ later: Job) {
            triggers += later.triggers
            force = force || later.force
            explicit = explicit || later.explicit
            waiters += later.waiters
        }
    }

    private struct Mailbox {
        var pending: Job?
        var running: Job?
        var consumer: CheckedContinuation<Job, any Error>?
    }

    private var mailboxes: [String: Mailbox] = [:]
    private var nextNumber = 1
    /// Set by ``shutDown(_:)``: why nobody waits for a run any more.
    private var closedReason: String?

    /// The reason ``shutDown(_:)`` gives when the daemon stops.
    public static let daemonStopping =
        "the daemon is shutting down; the run is recorded as interrupted and runs again when the daemon is back"

    /// Empty mailboxes.
    public init() {}

    /// Adds a request: it joins the pending run of `deployment`, or creates one.
    ///
    /// - Returns: the number of the run that will serve it.
    @discardableResult
    public func submit(_ deployment: String, _ request: RunRequest) -> Int {
        enqueue(deployment, request, waiter: nil)
    }

    /// Adds a request and waits for the result of the run that serves it.
    ///
    /// - Throws: ``ServiceError/unknownDeployment(_:)`` if the deployment is removed meanwhile,
    ///   `CancellationError` if the pipeline stopped with the run.
    public func submitAndWait(_ deployment: String, _ request: RunRequest) async throws -> RunResult {
        try await withCheckedThrowingContinuation { continuation in
            _ = enqueue(deployment, request, waiter: continuation)
        }
    }

    private func enqueue(_ deployment: String, _ request: RunRequest, waiter: CheckedContinuation<RunResult, any Error>?) -> Int {
        if let closedReason, let waiter {
            waiter.resume(throwing: ServiceError.interrupted(closedReason))
            return 0
        }
        var box = mailboxes[deployment] ?? Mailbox()
        var job = box.pending ?? Job(number: nextNumber, triggers: [], force: false, explicit: false)
        if box.pending == nil { nextNumber += 1 }
        job.merge(request)
        if let waiter { job.waiters.append(waiter) }
        if let consumer = box.consumer {
            box.consumer = nil
            box.running = job
            box.pending = nil
            mailboxes[deployment] = box
            consumer.resume(returning: job)
        } else {
            box.pending = job
            mailboxes[deployment] = box
        }
        return job.number
    }

    /// The pipeline worker's side: the next job of `deployment`, waiting until there is one.
    /// The job is `running` until ``finish(_:_:)`` or ``requeue(_:)``.
    ///
    /// - Throws: `CancellationError` when the waiting task is cancelled.
    public func next(_ deployment: String) async throws -> Job {
        var box = mailboxes[deployment] ?? Mailbox()
        if let job = box.pending {
            box.pending = nil
            box.running = job
            mailboxes[deployment] = box
            return job
        }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                var box = mailboxes[deployment] ?? Mailbox()
                if Task.isCancelled {
                    continuation.resume(throwing: CancellationError())
                    return
                }
                box.consumer?.resume(throwing: CancellationError())
                box.consumer = continuation
                mailboxes[deployment] = box
            }
        } onCancel: {
            Task { await self.cancelConsumer(deployment) }
        }
    }

    private func cancelConsumer(_ deployment: String) {
        guard var box = mailboxes[deployment], let consumer = box.consumer else { return }
        box.consumer = nil
        mailboxes[deployment] = box
        consumer.resume(throwing: CancellationError())
    }

    /// Ends the running job: every waiter gets `result`.
    public func finish(_ deployment: String, _ result: Result<RunResult, any Error>) {
        guard var box = mailboxes[deployment], let job = box.running else { return }
        box.running = nil
        mailboxes[deployment] = box
        for waiter in job.waiters { waiter.resume(with: result) }
    }

    /// Puts the running job back in front (its run was cancelled by a restart of the
    /// pipeline): it merges with any pending job and runs again.
    public func requeue(_ deployment: String) {
        guard var box = mailboxes[deployment], var job = box.running else { return }
        box.running = nil
        if let pending = box.pending { job.absorb(pending) }
        box.pending = job
        mailboxes[deployment] = box
    }

    /// Whether a run of `deployment` is going or waiting.
    public func isBusy(_ deployment: String) -> Bool {
        guard let box = mailboxes[deployment] else { return false }
        return box.running != nil || box.pending != nil
    }

    /// `idle`, `running` or `running, 1 queued` / `queued` (for `status`).
    public func state(_ deployment: String) -> String {
        guard let box = mailboxes[deployment] else { return "idle" }
        switch (box.running != nil, box.pending != nil) {
        case (true, true): return "running, 1 queued"
        case (true, false): return "running"
        case (false, true): return "queued"
        case (false, false): return "idle"
        }
    }

    /// How many requests wait in the pending job of `deployment` (0 without one).
    public func queuedRequests(_ deployment: String) -> Int {
        mailboxes[deployment]?.pending?.triggers.count ?? 0
    }

    /// The daemon is stopping: every waiter of a pending or running job (an operator's `deploy
    /// up`, the reconciler's redeploy) gets ``ServiceError/interrupted(_:)`` with `reason` now,
    /// instead of a connection closed under it, and so does every later ``submitAndWait(_:_:)``.
    /// The jobs themselves stay; the running one ends as its pipeline is cancelled (recorded
    /// `interrupted`).
    public func shutDown(_ reason: String = PipelineQueue.daemonStopping) {
        closedReason = reason
        for (name, var box) in mailboxes {
            for waiter in (box.pending?.waiters ?? []) + (box.running?.waiters ?? []) {
                waiter.resume(throwing: ServiceError.interrupted(reason))
            }
            box.pending?.waiters = []
            box.running?.waiters = []
            mailboxes[name] = box
        }
    }

    /// Forgets a removed deployment: waiters get ``ServiceError/unknownDeployment(_:)``.
    public func remove(_ deployment: String) {
        guard let box = mailboxes.removeValue(forKey: deployment) else { return }
        for waiter in (box.pending?.waiters ?? []) + (box.running?.waiters ?? []) {
            waiter.resume(throwing: ServiceError.unknownDeployment(deployment))
        }
        box.consumer?.resume(throwing: CancellationError())
    }
}
