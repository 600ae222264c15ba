import Docker
import Foundation
import SeededRandom
import Testing

@testable import Services

/// Seeded randomized tests of the admin API's request bodies (decoded from JSON with
/// ``APICoding``; Fixtures/corpus/api-bodies: the bodies the CLI sends) and of ``Validation``:
/// mutated and random bodies, deep nesting, invalid UTF-8, huge numbers. Nothing may trap and
/// every refusal is a `DecodingError` or a ``ServiceError`` naming the value; every field the
/// CLI sends arrives (round trip); the validators agree with plain references (and with
/// `git check-ref-format --branch` on branches they accept).
@Suite struct APIRequestFuzzTests {
    static let run = FuzzRun("APIRequestFuzzTests")
    static let bodies = FuzzCorpus.load("api-bodies").map(\.bytes)
    static let tokens: [[UInt8]] = [
        "{", "}", "[", "]", ",", ":", "\"", "\\", "\\u0000", "\\ud800", "\\uDFFF\\uD800", "null", "true", "false", "1e999", "-0", "1.5",
        "9223372036854775808", "-1", "\"name\":", "\"url\":", "\"poll_interval\":", "\"no_clean\":", "\"value\":", "\"path\":",
        "\"force\":", "\"pollInterval\":", "\u{FEFF}", "\u{0}",
    ].map { Array($0.utf8) }

    /// Decodes `bytes` as every request type; only `DecodingError`s may come out.
    static func decodeAll(_ bytes: [UInt8], _ context: String) {
        let data = Data(bytes)
        func attempt<T: Decodable>(_ type: T.Type) {
            do {
                // As AdminAPI.decodeBody reads a body.
                _ = try JSONLimits.decode(type, from: data, with: APICoding.decoder())
            } catch let error as DecodingError {
                // What the 400 answer says.
                _ = APICoding.describe(error)
            } catch {
                Issue.record("\(context): \(T.self): not a DecodingError: \(error)")
            }
        }
        attempt(AddRepositoryRequest.self)
        attempt(UpdateRepositoryRequest.self)
        attempt(ForgetHostRequest.self)
        attempt(SetParameterRequest.self)
        attempt(SupervisorActionRequest.self)
        attempt(FaultRequest.self)
        attempt(AdminAPI.UpRequest.self)
    }

    @Test("bodies: mutated, random and deeply nested JSON never traps")
    func mutatedBodies() {
        var rng = Self.run.generator("bodies")
        for iteration in 0..<Self.run.iterations(ci: 5_000) {
            let bytes: [UInt8]
            switch Int.random(in: 0..<10, using: &rng) {
            case 0: bytes = FuzzMutator.randomBytes(Int.random(in: 0...64, using: &rng), &rng)
            case 1:
                let depth = Int.random(in: 1...(Int.random(in: 0..<100, using: &rng) == 0 ? 100_000 : 2_000), using: &rng)
                bytes =
                    Bool.random(using: &rng)
                    ? FuzzMutator.nested("[", "]", depth: depth) : FuzzMutator.nested("{\"name\":", "}", depth: depth)
            default: bytes = FuzzMutator.mutate(Self.bodies.randomElement(using: &rng)!, &rng, others: Self.bodies, tokens: Self.tokens)
            }
            Self.decodeAll(bytes, Self.run.context(iteration))
        }
    }

    static func text(_ rng: inout SplitMix) -> String {
        let pieces = [
            "a", "Z", "0", "-", "_", "/", ".", " ", ":", "\"", "\\", "\n", "\u{0}", "é", "\u{301}", "✓", "\u{1F600}", "\u{FFFD}", "\r\n",
        ]
        return (0..<Int.random(in: 0...10, using: &rng)).map { _ in pieces.randomElement(using: &rng)! }.joined()
    }

    static func roundTrip<T: Codable>(_ value: T) throws -> T {
        try APICoding.decoder().decode(T.self, from: try APICoding.encoder(pretty: false).encode(value))
    }

    @Test("every field the CLI sends arrives as sent")
    func bodiesRoundTrip() throws {
        var rng = Self.run.generator("roundtrip")
        for iteration in 0..<Self.run.iterations {
            let context = Self.run.context(iteration)
            var add = AddRepositoryRequest(
                name: Self.text(&rng), url: Self.text(&rng), branch: Bool.random(using: &rng) ? Self.text(&rng) : nil,
                pollInterval: Bool.random(using: &rng) ? Self.text(&rng) : nil)
            add.noClean = [nil, true, false].randomElement(using: &rng)!
            let added = try Self.roundTrip(add)
            #expect(
                added.name == add.name && added.url == add.url && added.branch == add.branch && added.pollInterval == add.pollInterval
                    && added.noClean == add.noClean, "\(context)")
            let update = UpdateRepositoryRequest(pollInterval: Bool.random(using: &rng) ? Self.text(&rng) : nil)
            #expect(try Self.roundTrip(update).pollInterval == update.pollInterval)
            let host = ForgetHostRequest(host: Self.text(&rng))
            #expect(try Self.roundTrip(host).host == host.host)
            let parameter = SetParameterRequest(value: Self.text(&rng), public: [nil, true, false].randomElement(using: &rng)!)
            let parameterBack = try Self.roundTrip(parameter)
            #expect(parameterBack.value == parameter.value && parameterBack.public == parameter.public, "\(context)")
            let action = SupervisorActionRequest(path: Self.text(&rng), actor: Bool.random(using: &rng) ? Self.text(&rng) : nil)
            let actionBack = try Self.roundTrip(action)
            #expect(actionBack.path == action.path && actionBack.actor == action.actor)
            let fault = FaultRequest(path: Self.text(&rng), fault: Self.text(&rng), actor: Bool.random(using: &rng) ? Self.text(&rng) : nil)
            let faultBack = try Self.roundTrip(fault)
            #expect(faultBack.path == fault.path && faultBack.fault == fault.fault && faultBack.actor == fault.actor)
            let up = AdminAPI.UpRequest(
                force: [nil, true, false].randomElement(using: &rng)!, trigger: Bool.random(using: &rng) ? Self.text(&rng) : nil)
            let upBack = try Self.roundTrip(up)
            #expect(upBack.force == up.force && upBack.trigger == up.trigger)
        }
    }

    /// Exactly 513 `[` and nothing else: Foundation's JSONDecoder refuses the 513th level and
    /// traps while computing where (swift-foundation JSONError.SourceLocation at the end of
    /// the input): one 513-byte body to any endpoint crashed the daemon. Found by this suite
    /// in its first million-input run; JSONLimits refuses it before Foundation parses.
    @Test("513 nested brackets at the end of a body are refused, not a crash")
    func deepBracketsAtTheEndAreRefused() {
        for depth in [129, 512, 513, 514, 100_000] {
            let body = Data(repeating: UInt8(ascii: "["), count: depth)
            #expect(throws: DecodingError.self) { try JSONLimits.decode(AddRepositoryRequest.self, from: body, with: APICoding.decoder()) }
        }
        #expect(JSONLimits.isShallow(Array(#"{"value": "[[[["{{{{"}"#.utf8)))
        #expect(JSONLimits.isShallow(FuzzMutator.nested("[", "]", depth: 128)))
        #expect(!JSONLimits.isShallow(FuzzMutator.nested("[", "]", depth: 129)))
    }

    @Test("`repo add --no-clean` arrives: no_clean was neither encoded nor decoded (found by this suite)")
    func noCleanArrives() throws {
        let body = Array(#"{"name":"hello","no_clean":true,"url":"/srv/git/hello.git"}"#.utf8)
        #expect(try APICoding.decoder().decode(AddRepositoryRequest.self, from: Data(body)).noClean == true)
        var request = AddRepositoryRequest(name: "hello", url: "/srv/git/hello.git")
        request.noClean = true
        #expect(String(decoding: try APICoding.encoder().encode(request), as: UTF8.self).contains(#""no_clean":true"#))
    }

    /// Random names for the validators: mostly near the allowed alphabets.
    static func name(_ rng: inout SplitMix) -> String {
        let pieces = [
            "a", "z", "A", "0", "9", "-", "_", ".", "/", "..", "@{", ":", "~", "^", "?", "*", "[", "\\", " ", "\t", "\u{7F}", "\u{1}",
            "é", "\u{301}", ".lock", "//", "://", "::", "fd::", "file://", "[::1]", "git@", "STEVEDORE_", "PATH", "LD_", "+", "%",
            "\u{FF41}",
        ]
        let count = [Int.random(in: 0...6, using: &rng), Int.random(in: 60...70, using: &rng), Int.random(in: 120...135, using: &rng)]
            .randomElement(using: &rng)!
        return (0..<count).map { _ in pieces.randomElement(using: &rng)! }.joined()
    }

    /// `^[a-z0-9][a-z0-9_-]{0,62}$`, on bytes.
    static func referenceDeploymentName(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        let lower = { (c: UInt8) in (0x61...0x7A).contains(c) || (0x30...0x39).contains(c) }
        return (1...63).contains(bytes.count) && lower(bytes[0]) && bytes.allSatisfy { lower($0) || $0 == 0x2D || $0 == 0x5F }
    }

    /// `[0-9]+[smh]?` in `minimum...maximum` seconds, with arbitrary-length digits.
    static func referenceDuration(_ text: String, minimum: Int, maximum: Int) -> Int? {
        var bytes = Array(text.utf8)
        var unit = 1
        if let last = bytes.last, let factor = [UInt8(ascii: "s"): 1, UInt8(ascii: "m"): 60, UInt8(ascii: "h"): 3600][last] {
            unit = factor
            bytes.removeLast()
        }
        guard !bytes.isEmpty, bytes.allSatisfy({ (0x30...0x39).contains($0) }) else { return nil }
        var value = 0
        for digit in bytes {
            value = value * 10 + Int(digit - 0x30)
            if value > maximum { return nil }
        }
        let seconds = value * unit
        return (minimum...maximum).contains(seconds) ? seconds : nil
    }

    @Test("validators: no trap, and the same answer as a plain reference")
    func validatorsAgreeWithReferences() {
        var rng = Self.run.generator("validation")
        for iteration in 0..<Self.run.iterations {
            let context = Self.run.context(iteration)
            let text = Self.name(&rng)
            #expect(((try? Validation.deploymentName(text)) != nil) == Self.referenceDeploymentName(text), "\(context): \(text)")
            let digits = String((0..<Int.random(in: 0...25, using: &rng)).map { _ in "0123456789".randomElement(using: &rng)! })
            let duration = [digits + ["", "s", "m", "h", "d", " ", "\u{301}"].randomElement(using: &rng)!, text].randomElement(using: &rng)!
            let got = try? Validation.durationSeconds(duration, name: "poll_interval", minimum: 10, maximum: 86_400)
            #expect(got == Self.referenceDuration(duration, minimum: 10, maximum: 86_400), "\(context): '\(duration)'")
            if (try? Validation.parameterName(text)) != nil {
                #expect(text.utf8.count <= 128 && !Validation.isReservedParameterName(text) && text.utf8.allSatisfy { $0 < 0x80 })
            }
            if (try? Validation.repositoryURL(text)) != nil {
                #expect(!text.hasPrefix("-") && !text.unicodeScalars.contains { $0.value <= 0x20 || $0.value == 0x7F }, "\(context)")
            }
            _ = try? Validation.branch(text)
            _ = try? Validation.flag(text, name: "X")
            _ = try? Validation.parameterValue(text, key: "K")
        }
    }

    @Test("every branch the validator accepts, git accepts too (git check-ref-format --branch)")
    func acceptedBranchesAreGitBranches() throws {
        var rng = Self.run.generator("branches")
        var checked = 0
        var tried = 0
        // Half the candidates come from the general name generator (mostly refused); the
        // other half from pieces a branch may hold, so that every seed checks many accepted
        // names (one seed drew 200 general names and none was accepted: the test checked
        // nothing).
        let wanted = max(100, Self.run.iterations / 2000)
        while checked < wanted, tried < 100 * wanted {
            tried += 1
            let branch = tried.isMultiple(of: 2) ? Self.name(&rng) : Self.branchLike(&rng)
            guard (try? Validation.branch(branch)) != nil, !branch.contains("\u{0}") else { continue }
            let git = Process()
            git.executableURL = URL(fileURLWithPath: "/usr/bin/git")
            git.arguments = ["check-ref-format", "--branch", branch]
            git.standardOutput = FileHandle.nullDevice
            git.standardError = FileHandle.nullDevice
            try git.run()
            git.waitUntilExit()
            #expect(git.terminationStatus == 0, "git refuses branch '\(branch)' (seed \(Self.run.seed))")
            checked += 1
        }
        #expect(checked >= wanted, "only \(checked) of \(tried) candidates were accepted (seed \(Self.run.seed))")
    }

    /// A candidate branch name: 1–12 pieces, most of which a branch may hold (letters, digits,
    /// `-`, `_`, `/`, `.`), some of which it may not (`..`, `.lock`, `@{`, `//`, a leading `-`).
    static func branchLike(_ rng: inout SplitMix) -> String {
        let pieces = [
            "main", "feature", "v1", "x", "Z", "0", "-", "_", "/", ".", "release", "é", "+", "#", "..", ".lock", "@{", "//", "@",
        ]
        return (0..<Int.random(in: 1...12, using: &rng)).map { _ in pieces.randomElement(using: &rng)! }.joined()
    }
}
