/// The deploy history (`runs`) and the commit not to retry (`deployment_status.failed_commit`).
extension StateStore {
    /// Runs kept per deployment: older ones are deleted as new ones start.
    public static let runRetention = 1_000

    /// Opens a run row; ``finishRun(_:targetCommit:outcome:reason:)`` closes it. Keeps the
    /// newest ``runRetention`` runs of the deployment.
    ///
    /// - Returns: the run's id.
    public func startRun(_ deployment: String, triggers: String, previousCommit: String?) throws -> Int64 {
        let db = try db()
        let started = Self.now
        let id = try db.transaction {
            try db.run(
                "INSERT INTO runs (deployment, triggers, previous_commit, started_at) VALUES (?, ?, ?, ?)",
                [.text(deployment), .text(triggers), .optional(previousCommit), .real(started)])
            let id = try db.query("SELECT last_insert_rowid()").first?.int64(0) ?? 0
            try db.run(
                "DELETE FROM runs WHERE deployment = ? AND id NOT IN (SELECT id FROM runs WHERE deployment = ? ORDER BY id DESC LIMIT ?)",
                [.text(deployment), .text(deployment), .integer(Int64(Self.runRetention))])
            return id
        }
        runStarts[id] = (started, ContinuousClock.now)
        return id
    }

    /// Closes run `id` with its outcome. `reason` is cut to its last 4,000 characters (the
    /// end of a build log is where the error is). The end time is the start plus the run's
    /// monotonic duration, so a wall-clock jump meanwhile does not distort it.
    ///
    /// When the filesystem refuses the write (``StoreError/isStorageFault``) the end is kept
    /// in memory and written by the next successful ``probeWrite()``, so the run does not
    /// stay open in the history; the error is still thrown. The first end given for a run is
    /// the one kept (a later call reports the failure to record it, not the run's outcome).
    public func finishRun(_ id: Int64, targetCommit: String?, outcome: String, reason: String?) throws {
        let cut = reason.map { $0.count > 4000 ? "…" + String($0.suffix(4000)) : $0 }
        let endedAt = runStarts.removeValue(forKey: id).map { $0.wall + Self.seconds(ContinuousClock.now - $0.instant) } ?? Self.now
        // The first end of a run is its outcome; a later one only reports that recording it failed.
        let end = unrecordedRunEnds[id] ?? UnrecordedRunEnd(targetCommit: targetCommit, endedAt: endedAt, outcome: outcome, reason: cut)
        do {
            try writeRunEnd(id, end)
            unrecordedRunEnds[id] = nil
        } catch let error as StoreError where error.isStorageFault {
            unrecordedRunEnds[id] = end
            throw error
        }
    }

    func writeRunEnd(_ id: Int64, _ end: UnrecordedRunEnd) throws {
        try db().run(
            "UPDATE runs SET target_commit = ?, ended_at = ?, outcome = ?, reason = ? WHERE id = ?",
            [.optional(end.targetCommit), .real(end.endedAt), .text(end.outcome), .optional(end.reason), .integer(id)])
    }

    /// Marks runs left open by a daemon that died during them (SIGKILL, a power cut) as
    /// `interrupted`; the daemon runs their pipelines again
    /// (`DeploymentEngine.resumeInterruptedRuns()`). Runs of this store whose end waits for
    /// the disk (``finishRun(_:targetCommit:outcome:reason:)``) are left to that.
    ///
    /// When the filesystem refuses the write, the next successful ``probeWrite()`` does it.
    ///
    /// - Returns: how many were closed.
    /// - Throws: ``StoreError``; ``StoreError/isStorageFault`` ones are remembered as above.
    @discardableResult
    public func closeInterruptedRuns() throws -> Int {
        let waiting = unrecordedRunEnds.keys.map { String($0) }.joined(separator: ",")
        do {
            let closed = try db().run(
                "UPDATE runs SET ended_at = ?, outcome = 'interrupted', reason = 'the daemon stopped during the run; it runs again' WHERE ended_at IS NULL"
                    + (waiting.isEmpty ? "" : " AND id NOT IN (\(waiting))"),
                [.real(Self.now)])
            interruptedRunsPending = false
            return closed
        } catch let error as StoreError where error.isStorageFault {
            interruptedRunsPending = true
            throw error
        }
    }

    /// The newest `limit` runs of `deployment`, newest first (by id, the order they started
    /// in: never by a wall-clock time, which can jump).
    public func runs(of deployment: String, limit: Int = 20) throws -> [RunRecord] {
        try db().query(
            """
            SELECT id, deployment, triggers, target_commit, previous_commit, started_at, ended_at, outcome, reason
            FROM runs WHERE deployment = ? ORDER BY id DESC LIMIT ?
            """, [.text(deployment), .integer(Int64(limit))]
        ).map {
            RunRecord(
                id: $0.int64(0) ?? 0, deployment: $0.string(1) ?? "", triggers: $0.string(2) ?? "",
                targetCommit: $0.string(3), previousCommit: $0.string(4), startedAt: $0.double(5) ?? 0,
                endedAt: $0.double(6), outcome: $0.string(7), reason: $0.string(8))
        }
    }

    /// Sets (or, with `nil`, clears) the commit the pipeline must not retry unforced.
    public func setFailedCommit(_ deployment: String, _ commit: String?) throws {
        try db().run("UPDATE deployment_status SET failed_commit = ? WHERE name = ?", [.optional(commit), .text(deployment)])
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}
