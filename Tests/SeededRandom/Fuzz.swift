import Foundation

/// The settings of one seeded fuzz suite (`<Something>FuzzTests`): `STEVEDORE_SEED` replays a
/// run (every run prints its seed), `STEVEDORE_FUZZ_ITERATIONS` sets how many inputs each test
/// tries (default 20,000, the CI budget; `scripts/fuzz.sh` runs a million or a time budget).
public struct FuzzRun: Sendable {
    /// The suite's name, for the printed line.
    public let suite: String
    /// The seed of this run.
    public let seed: UInt64
    /// Inputs per test: `STEVEDORE_FUZZ_ITERATIONS`, else 20,000.
    public var iterations: Int { requested ?? 20_000 }
    /// `STEVEDORE_FUZZ_ITERATIONS`, if set.
    public let requested: Int?

    /// Inputs for a test whose inputs are slow in a debug build (YAML through Yams, large
    /// streams): `STEVEDORE_FUZZ_ITERATIONS` when set (scripts/fuzz.sh), else `ci`, so that
    /// the suites' share of the CI run stays small.
    public func iterations(ci: Int) -> Int { requested ?? ci }

    /// Reads the environment and prints the seed and the number of inputs.
    public init(_ suite: String) {
        let environment = ProcessInfo.processInfo.environment
        self.suite = suite
        seed = environment["STEVEDORE_SEED"].flatMap { UInt64($0) } ?? UInt64.random(in: 0...UInt64.max)
        requested = environment["STEVEDORE_FUZZ_ITERATIONS"].flatMap { Int($0) }
        print("\(suite) seed \(seed) (replay: STEVEDORE_SEED=\(seed)), \(requested.map(String.init) ?? "the CI budget of") inputs per test")
    }

    /// A generator for one test of the suite: the seed mixed with `test`, so that the tests of
    /// a suite draw different inputs and each can be replayed alone.
    public func generator(_ test: String) -> SplitMix {
        var state = seed
        for byte in test.utf8 { state = (state ^ UInt64(byte)) &* 0x100_0000_01B3 }
        return SplitMix(state: state)
    }

    /// Where a failing input came from, for a test's message.
    public func context(_ iteration: Int) -> String {
        "\(suite) iteration \(iteration), seed \(seed) (replay: STEVEDORE_SEED=\(seed) STEVEDORE_FUZZ_ITERATIONS=\(iteration + 1))"
    }
}

/// Corpus seeds: real samples kept in the repository (`Tests/<Target>/Fixtures/corpus/<name>/`).
public enum FuzzCorpus {
    /// The files of the corpus directory `name` next to the test file `testFile` (`#filePath`),
    /// sorted by name. A missing or empty directory is an error of the test setup.
    public static func load(_ name: String, testFile: String = #filePath) -> [(name: String, bytes: [UInt8])] {
        let directory = URL(fileURLWithPath: testFile).deletingLastPathComponent().appendingPathComponent("Fixtures/corpus/\(name)")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path))?.sorted() ?? []
        let files = names.compactMap { file -> (name: String, bytes: [UInt8])? in
            guard let data = FileManager.default.contents(atPath: directory.appendingPathComponent(file).path) else { return nil }
            return (file, Array(data))
        }
        precondition(!files.isEmpty, "no corpus at \(directory.path)")
        return files
    }
}

/// Mutations of byte strings, as a fuzzer makes them: bit flips, interesting bytes and
/// lengths, insertions, deletions, duplications, truncations, splices with other seeds and
/// tokens of the format.
public enum FuzzMutator {
    /// Bytes that tend to matter to parsers: NUL, newlines, quotes, brackets, separators,
    /// UTF-8 lead and continuation bytes that are invalid on their own.
    public static let interestingBytes: [UInt8] = [
        0x00, 0x0A, 0x0D, 0x09, 0x20, 0x22, 0x27, 0x5C, 0x3A, 0x3D, 0x2C, 0x7B, 0x7D, 0x5B, 0x5D, 0x23, 0x26, 0x2A, 0x2D, 0x3F,
        0x7C, 0x3E, 0x25, 0x40, 0x21, 0x7F, 0x80, 0xBF, 0xC0, 0xC3, 0xE2, 0xED, 0xF0, 0xF4, 0xF8, 0xFE, 0xFF,
    ]

    /// Big-endian 32-bit values that break length fields: 0, 1, a sign bit, the maximum.
    public static let interestingLengths: [UInt32] = [
        0, 1, 4, 0x7F, 0x80, 0xFFFF, 0x1_0000, 0x4_0001, 0x100_0001, 0x7FFF_FFFF, 0x8000_0000, 0xFFFF_FFFF,
    ]

    /// `count` random bytes, biased to the printable range with some NULs, newlines and
    /// invalid UTF-8.
    public static func randomBytes(_ count: Int, _ rng: inout SplitMix) -> [UInt8] {
        (0..<count).map { _ in
            switch Int.random(in: 0..<12, using: &rng) {
            case 0: return interestingBytes.randomElement(using: &rng)!
            case 1: return UInt8.random(in: 0...255, using: &rng)
            case 2: return UInt8.random(in: 0x80...0xFF, using: &rng)
            default: return UInt8.random(in: 0x20...0x7E, using: &rng)
            }
        }
    }

    /// `seed` with 1 to 8 random mutations; `others` are spliced in, `tokens` inserted.
    public static func mutate(_ seed: [UInt8], _ rng: inout SplitMix, others: [[UInt8]] = [], tokens: [[UInt8]] = []) -> [UInt8] {
        var bytes = seed
        for _ in 0..<Int.random(in: 1...8, using: &rng) {
            let at = bytes.isEmpty ? 0 : Int.random(in: 0..<bytes.count, using: &rng)
            switch Int.random(in: 0..<13, using: &rng) {
            case 0 where !bytes.isEmpty:
                bytes[at] ^= UInt8(1) << UInt8.random(in: 0...7, using: &rng)
            case 1 where !bytes.isEmpty:
                bytes[at] = interestingBytes.randomElement(using: &rng)!
            case 2:
                bytes.insert(contentsOf: randomBytes(Int.random(in: 1...16, using: &rng), &rng), at: at)
            case 3 where !bytes.isEmpty:
                bytes.removeSubrange(at..<min(bytes.count, at + Int.random(in: 1...32, using: &rng)))
            case 4 where !bytes.isEmpty:
                let end = min(bytes.count, at + Int.random(in: 1...64, using: &rng))
                let piece = Array(bytes[at..<end])
                for _ in 0..<Int.random(in: 1...4, using: &rng) { bytes.insert(contentsOf: piece, at: end) }
            case 5:
                bytes = Array(bytes.prefix(Int.random(in: 0...bytes.count, using: &rng)))
            case 6 where bytes.count >= 4:
                let length = interestingLengths.randomElement(using: &rng)!
                let place = Int.random(in: 0...(bytes.count - 4), using: &rng)
                bytes.replaceSubrange(place..<(place + 4), with: bigEndian(length))
            case 7 where !others.isEmpty:
                let other = others.randomElement(using: &rng)!
                let from = other.isEmpty ? 0 : Int.random(in: 0..<other.count, using: &rng)
                let piece = other[from..<min(other.count, from + Int.random(in: 1...256, using: &rng))]
                bytes.insert(contentsOf: piece, at: at)
            case 8 where !tokens.isEmpty:
                bytes.insert(contentsOf: tokens.randomElement(using: &rng)!, at: at)
            case 9 where !bytes.isEmpty:
                bytes.insert(contentsOf: repeatElement(bytes[at], count: Int.random(in: 1...300, using: &rng)), at: at)
            case 10 where bytes.count >= 2:
                let other = Int.random(in: 0..<bytes.count, using: &rng)
                bytes.swapAt(at, other)
            case 11 where !bytes.isEmpty:
                // Cut at a random point and put the tail first (a stream resumed mid-way).
                bytes = Array(bytes[at...] + bytes[..<at])
            default:
                bytes.insert(interestingBytes.randomElement(using: &rng)!, at: at)
            }
        }
        return bytes
    }

    /// `value` as 4 big-endian bytes.
    public static func bigEndian(_ value: UInt32) -> [UInt8] {
        [UInt8(value >> 24), UInt8((value >> 16) & 0xFF), UInt8((value >> 8) & 0xFF), UInt8(value & 0xFF)]
    }

    /// `depth` copies of `open`, `inner`, then `depth` copies of `close` (deep nesting).
    public static func nested(_ open: String, _ close: String, depth: Int, inner: String = "1") -> [UInt8] {
        Array((String(repeating: open, count: depth) + inner + String(repeating: close, count: depth)).utf8)
    }

    /// Cuts `total` bytes into random pieces of 1 byte up to a few KiB (how a stream arrives).
    public static func pieces(_ total: Int, _ rng: inout SplitMix) -> [Int] {
        var out: [Int] = []
        var left = total
        while left > 0 {
            let limit = [1, 7, 64, 4096][Int.random(in: 0..<4, using: &rng)]
            let n = Int.random(in: 1...max(1, min(left, limit)), using: &rng)
            out.append(n)
            left -= n
        }
        return out
    }
}
