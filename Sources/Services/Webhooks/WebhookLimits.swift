/// Bounds on what an unauthenticated sender can make the daemon hold (docs/API.md, "Webhooks").
/// Anyone who reaches the port can POST to `/hooks/`: a delivery is only known genuine after its
/// last byte (the HMAC covers the whole body), so the body size, the number of bodies read at
/// once and the time a body may take are capped. At most ``maxConcurrentDeliveries`` ×
/// ``maxBodyBytes`` (20 MiB) of bodies are held at any moment.
public enum WebhookLimits {
    /// Largest accepted body: 5 MiB (5,242,880 bytes). GitHub caps deliveries at 25 MB, but a
    /// push payload lists at most 20 commits (GitHub docs, "Webhook events and payloads") and is
    /// far smaller; GitLab's are similar.
    public static let maxBodyBytes = 5 * 1024 * 1024

    /// ``maxBodyBytes`` as the 413 answer names it.
    public static let maxBodyDescription = "5 MiB (5242880 bytes)"

    /// Bodies read at the same time (all providers and deployments together); a delivery
    /// beyond these is answered 503 with `Retry-After` before its body is read.
    public static let maxConcurrentDeliveries = 4

    /// The `Retry-After` of that 503, in seconds.
    public static let retryAfterSeconds = 10

    /// Time a body may take to arrive, in seconds, so that slow senders cannot hold the
    /// ``maxConcurrentDeliveries`` slots (GitHub and GitLab give up on a delivery after 10 s).
    public static let bodyTimeoutSeconds = 20
}
