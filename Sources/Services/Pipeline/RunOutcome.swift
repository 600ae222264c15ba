import Store

/// The outcomes recorded in the history.
public enum RunOutcome {
    /// The new commit runs and passed the health gate.
    public static let succeeded = "succeeded"
    /// The new commit failed to build, start or become healthy; the previous one runs again.
    public static let rolledBack = "rolled_back"
    /// It failed and nothing could be rolled back to (first deploy, or the rollback failed too).
    public static let failed = "failed"
    /// Refused before anything was started (`init: true` missing, bad `x-stevedore`, config error).
    public static let refused = "refused"
    /// Not run: paused, or the newest commit is the one that failed (without `--force`).
    public static let skipped = "skipped"
    /// Nothing to do: the newest commit already runs.
    public static let unchanged = "unchanged"
    /// Cut short by something outside the commit: the daemon's shutdown, or the Docker engine
    /// going away mid-deploy. Nothing was rolled back and the commit is not marked failed; it
    /// runs again (at the next start, or once the engine answers).
    public static let interrupted = "interrupted"
}
