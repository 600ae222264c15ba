import Supervision

/// How each `deployments/<name>` subtree is restarted (docs/SUPERVISION.md, "Deployments that
/// keep failing").
///
/// The subtree is a transient supervisor child of `deployments` with a
/// ``Supervision/ChildSpec/revival`` policy. Its own intensity (default 5 restarts in 60 s,
/// with the workers' backoff of 0.5 s doubling) is exceeded about 15 s into a crash loop of
/// one of its workers; it then gives up and ends with OTP's reason `shutdown`, which
/// `deployments` does not count and does not restart (OTP rule for transient children), so
/// neither `deployments` nor `root` ever gives up because of a deployment and the daemon is
/// never restarted for one. Instead the subtree shows `backoff` with the reason and is
/// started afresh after the revival delay: 30 s, doubling, at most 5 min, ±20 % jitter; the
/// count resets after it has stayed up for 10 min. Other deployments are not touched.
public struct DeploymentRestartPolicy: Sendable, Equatable {
    /// Restart intensity of each `deployments/<name>` supervisor
    /// (`STEVEDORE_DEPLOYMENT_MAX_RESTARTS`, default 5, and
    /// `STEVEDORE_DEPLOYMENT_RESTART_PERIOD`, default 60 s).
    public var intensity: RestartIntensity
    /// Delay before reviving a subtree that gave up (`STEVEDORE_DEPLOYMENT_REVIVAL_INITIAL`,
    /// default 30 s), doubling to ``revivalMaximum``.
    public var revivalInitial: Duration
    /// Cap of the revival delay (`STEVEDORE_DEPLOYMENT_REVIVAL_MAX`, default 5 min).
    public var revivalMaximum: Duration

    /// The defaults above.
    public init(
        intensity: RestartIntensity = RestartIntensity(maxRestarts: 5, period: .seconds(60)),
        revivalInitial: Duration = .seconds(30), revivalMaximum: Duration = .seconds(300)
    ) {
        self.intensity = intensity
        self.revivalInitial = revivalInitial
        self.revivalMaximum = max(revivalMaximum, revivalInitial)
    }

    /// The revival backoff: from ``revivalInitial`` doubling to ``revivalMaximum``, ±20 %
    /// jitter, reset after 10 min of uptime (or twice the maximum, if that is longer).
    public var revival: BackoffPolicy {
        BackoffPolicy(
            initial: revivalInitial, maximum: revivalMaximum, multiplier: 2, jitter: 0.2,
            resetAfter: max(.seconds(600), revivalMaximum * 2))
    }
}
