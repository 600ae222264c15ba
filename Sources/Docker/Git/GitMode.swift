import Foundation

/// Where Git runs (`STEVEDORE_GIT_MODE`).
public enum GitMode: String, Sendable, CaseIterable {
    /// A short-lived container per operation (default).
    case worker
    /// A local `git` subprocess in its own process group: for hosts without the worker image.
    case local
}
