import Foundation

/// How much disk one deployment's logs may take (docs/OPERATIONS.md "Container logs").
///
/// A service's file `<service>.log` is rotated to `<service>.log.<N>` when the next line
/// would take it past ``fileBytes``; the oldest rotated files of the deployment (lowest `N`,
/// whatever the service) are deleted before a line would take the deployment's files past
/// ``maximumBytes``. So the files never exceed the cap, not even by one line.
public struct LogLimits: Sendable, Codable, Equatable {
    /// Cap of all of a deployment's log files together, in bytes (default 64 MiB; setting
    /// `x-stevedore.logs.max_size`, daemon-wide `STEVEDORE_LOG_MAX_SIZE`).
    public var maximumBytes: Int
    /// Size at which a service's file is rotated, in bytes (default 8 MiB, at most the cap;
    /// `x-stevedore.logs.file_size`, `STEVEDORE_LOG_FILE_SIZE`).
    public var fileBytes: Int
    /// Longest line written whole, in bytes (16 KiB; longer lines are split with the `+`
    /// marker of ``LogRecord``).
    public var lineBytes: Int

    /// Default cap: 64 MiB.
    public static let defaultMaximumBytes = 64 * 1024 * 1024
    /// Default rotation size: 8 MiB.
    public static let defaultFileBytes = 8 * 1024 * 1024
    /// Default line limit: 16 KiB.
    public static let defaultLineBytes = 16 * 1024
    /// Smallest cap and rotation size accepted: 64 KiB.
    public static let minimumBytes = 64 * 1024

    /// The rotation size used when only a cap is given: a quarter of it, at most
    /// ``defaultFileBytes`` and at least ``minimumBytes`` (bytes in, bytes out).
    public static func defaultFileBytes(forCap cap: Int) -> Int {
        min(defaultFileBytes, max(cap / 4, minimumBytes))
    }

    /// Limits; `fileBytes` is lowered to the cap when larger.
    public init(maximumBytes: Int = defaultMaximumBytes, fileBytes: Int = defaultFileBytes, lineBytes: Int = defaultLineBytes) {
        self.maximumBytes = max(Self.minimumBytes, maximumBytes)
        self.fileBytes = min(max(Self.minimumBytes, fileBytes), self.maximumBytes)
        self.lineBytes = max(64, min(lineBytes, self.fileBytes / 2))
    }

    private enum CodingKeys: String, CodingKey { case maximumBytes, fileBytes, lineBytes }

    /// Decodes through ``init(maximumBytes:fileBytes:lineBytes:)``, so that decoded limits
    /// keep its invariants (64 KiB ≤ file ≤ cap, 64 ≤ line ≤ file / 2).
    ///
    /// - Throws: `DecodingError`.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            maximumBytes: try c.decode(Int.self, forKey: .maximumBytes), fileBytes: try c.decode(Int.self, forKey: .fileBytes),
            lineBytes: try c.decode(Int.self, forKey: .lineBytes))
    }
}
