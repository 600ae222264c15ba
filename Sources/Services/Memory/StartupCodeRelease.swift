import Supervision

#if canImport(Glibc)
    import Glibc
#endif

/// Gives back the pages of the executable's code that the process mapped while it started (or
/// while it last deployed) and no longer runs: a while after start and then every
/// ``repeatInterval``, `madvise(MADV_DONTNEED)` over the executable's own code mappings
/// (`r-xp` in `/proc/self/maps`, madvise(2)); ``run(after:repeatEvery:onRelease:)`` does both.
///
/// Why: a Swift daemon's code is tens of megabytes (the static Swift runtime and Foundation,
/// SwiftNIO, Hummingbird, BoringSSL…). Start-up runs a lot of it once — argument parsing,
/// migrations, the tree's construction — and the kernel maps code 64 KiB around every page
/// fault (fault-around), so an idle daemon kept about 26 MiB of its binary mapped, 60 % of its
/// RSS, for code it does not run again (`scripts/bench.sh memory` measures it). Nothing
/// unmaps such pages on an idle host.
///
/// What it does not do: it frees no memory the process needs, writes nothing and loses
/// nothing. The mappings are private, read-only and never written, so dropping their page
/// table entries only means that the next call into such code takes a minor fault, served
/// from the page cache, which still holds the pages (they are unmapped, so the kernel can
/// reclaim them when memory is short, and would re-read them from the binary). The code
/// the idle daemon runs (its loops, NIO, the store) comes back within a minute: what stays
/// mapped is its working set. Data and relocated mappings (`rw-p`, RELRO `r--p`) are never
/// touched.
public enum StartupCodeRelease {
    /// Time between two releases after the first: 10 minutes (the idle daemon maps its working
    /// set again within a minute, at a cost of a few hundred minor faults).
    public static let repeatInterval: Duration = .seconds(600)

    /// The environment variable that sets ``delay(environment:)``.
    public static let variable = "STEVEDORE_CODE_RELEASE_AFTER"
    /// The default delay after start: 60 s (start-up and the first runs of the deployments
    /// are over by then).
    public static let defaultDelaySeconds = 60

    /// What one release did.
    public struct Outcome: Sendable, Equatable {
        /// Code mappings of the executable that were advised.
        public var mappings: Int
        /// Their size in bytes (mapped address space, not resident memory).
        public var bytes: Int
        /// The process's resident set (`Rss:` of `/proc/self/smaps_rollup`) before, KiB; 0
        /// when it cannot be read.
        public var residentKiBBefore: Int
        /// The same right after, KiB.
        public var residentKiBAfter: Int
    }

    /// The delay `environment` asks for: `STEVEDORE_CODE_RELEASE_AFTER`, a duration in seconds
    /// (`90`, `90s`, `5m`, at most a day; `0` or `off`: never); ``defaultDelaySeconds`` when
    /// unset or empty.
    ///
    /// - Returns: the delay, or `nil` for never.
    /// - Throws: ``Validation``'s error naming the variable, the bad value and what is allowed.
    public static func delay(environment: [String: String]) throws -> Duration? {
        guard let text = environment[variable], !text.isEmpty else { return .seconds(defaultDelaySeconds) }
        if text == "off" { return nil }
        let seconds = try Validation.durationSeconds(text, name: variable, minimum: 0)
        return seconds == 0 ? nil : .seconds(seconds)
    }

    /// The delay a child process (the log streamer) takes from the environment the daemon
    /// handed it: as ``delay(environment:)`` (`nil`, `0` or `off`: never), and the default for a
    /// value that does not parse (the daemon refused such a value at its own start).
    public static func childDelay(environment: [String: String]) -> Duration? {
        do {
            return try delay(environment: environment)
        } catch {
            return .seconds(defaultDelaySeconds)
        }
    }

    /// Releases the code mappings `delay` after now and then every `interval`, until the task is
    /// cancelled.
    ///
    /// - Parameters:
    ///   - delay: until the first release (``delay(environment:)``; 60 s by default).
    ///   - interval: between later releases; default ``repeatInterval`` (10 minutes).
    ///   - clock: the clock slept on (tests pass a ``Supervision/ManualClock``).
    ///   - onRelease: sees each outcome (the daemon logs it at debug level).
    public static func run(
        after delay: Duration, repeatEvery interval: Duration = repeatInterval,
        clock: any SupervisorClock = ContinuousSupervisorClock(), onRelease: @Sendable (Outcome) -> Void = { _ in }
    ) async {
        var due = clock.now + delay
        while (try? await clock.sleep(until: due)) != nil {
            onRelease(releaseNow())
            due = clock.now + interval
        }
    }

    /// Releases the executable's code mappings now (see the type's documentation).
    ///
    /// Safe to call at any time and from any thread: other threads running in that code fault
    /// it back in.
    ///
    /// - Returns: what was advised; zero mappings when `/proc` cannot be read.
    @discardableResult
    public static func releaseNow() -> Outcome {
        let before = residentKiB()
        var mappings = 0
        var bytes = 0
        var executable = stat()
        guard stat("/proc/self/exe", &executable) == 0, let maps = ProcFile.readToEnd("/proc/self/maps") else {
            return Outcome(mappings: 0, bytes: 0, residentKiBBefore: before, residentKiBAfter: before)
        }
        for line in maps.split(separator: UInt8(ascii: "\n")) {
            guard let mapping = CodeMapping(line), mapping.inode == UInt64(executable.st_ino) else { continue }
            guard let start = UnsafeMutableRawPointer(bitPattern: mapping.start) else { continue }
            if madvise(start, mapping.end - mapping.start, MADV_DONTNEED) == 0 {
                mappings += 1
                bytes += mapping.end - mapping.start
            }
        }
        return Outcome(mappings: mappings, bytes: bytes, residentKiBBefore: before, residentKiBAfter: residentKiB())
    }

    /// The process's `Rss:` from `/proc/self/smaps_rollup`, KiB; 0 if it cannot be read.
    public static func residentKiB() -> Int {
        guard let text = ProcFile.readToEnd("/proc/self/smaps_rollup") else { return 0 }
        for line in text.split(separator: UInt8(ascii: "\n")) where line.starts(with: Array("Rss:".utf8)) {
            let digits = line.dropFirst(4).filter { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }
            return Int(String(decoding: digits, as: UTF8.self)) ?? 0
        }
        return 0
    }

    /// One line of `/proc/self/maps` (proc(5)) that is a private code mapping of a file:
    /// `start-end r-xp offset dev inode path`.
    struct CodeMapping: Equatable {
        var start: Int
        var end: Int
        var inode: UInt64

        /// `nil` for any line that is not `r-xp` with an inode, or that does not parse.
        init?(_ line: ArraySlice<UInt8>) {
            let fields = line.split(separator: UInt8(ascii: " "), maxSplits: 5, omittingEmptySubsequences: true)
            guard fields.count >= 5, fields[1].elementsEqual("r-xp".utf8) else { return nil }
            let range = fields[0].split(separator: UInt8(ascii: "-"))
            guard range.count == 2, let start = Int(String(decoding: range[0], as: UTF8.self), radix: 16),
                let end = Int(String(decoding: range[1], as: UTF8.self), radix: 16), end > start,
                let inode = UInt64(String(decoding: fields[4], as: UTF8.self)), inode != 0
            else { return nil }
            (self.start, self.end, self.inode) = (start, end, inode)
        }
    }
}
