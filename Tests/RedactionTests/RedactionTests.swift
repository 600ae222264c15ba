import Foundation
import SeededRandom
import Testing

@testable import Redaction

/// Secret forms, one-shot redaction, and the stream across piece boundaries.
@Suite struct RedactionTests {
    func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }

    @Test func everyCommonFormIsRedacted() {
        let rules = RedactionRules(secrets: [Secret(key: "DB_PASSWORD", value: "s3cr3t/pa ss\"word")])
        let secret = "s3cr3t/pa ss\"word"
        let basic = Data("alice:\(secret)".utf8).base64EncodedString()  // an Authorization header
        let inputs = [
            "password=\(secret) ok",
            "Authorization: Basic \(basic)",
            "raw base64 \(Data(secret.utf8).base64EncodedString())",
            "url \(secret.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~")))!)",
            #"json {"p":"s3cr3t\/pa ss\"word"} and {"p":"s3cr3t/pa ss\"word"}"#,
            "form s3cr3t%2Fpa+ss%22word",
        ]
        for input in inputs {
            let out = text(rules.redact(Array(input.utf8)[...]))
            #expect(out.contains("[REDACTED:DB_PASSWORD]"), "\(input) → \(out)")
            #expect(!out.contains("s3cr3t"), "\(input) → \(out)")
        }
        // In the Basic header the characters around the secret that also depend on the user
        // name stay: only what depends on the secret alone is replaced.
        #expect(!text(rules.redact(Array("Authorization: Basic \(basic)".utf8)[...])).contains(String(basic.suffix(12))))
    }

    /// Found by a trial: the default encoders of Python and Go printed forms that were not
    /// redacted (`quote` keeps `/`, `json.dumps` escapes non-ASCII, Go escapes `<>&`).
    @Test("the default URL and JSON encoders of Python, Go and JavaScript are redacted")
    func defaultEncodersOfCommonLanguages() {
        let secret = "S3cr3t/Pa ss\"wörd&x=1<y>"
        let rules = RedactionRules(secrets: [Secret(key: "K", value: secret)])
        let inputs = [
            "python quote: S3cr3t/Pa%20ss%22w%C3%B6rd%26x%3D1%3Cy%3E",
            #"python json.dumps: "S3cr3t/Pa ss\"w\u00f6rd&x=1<y>""#,
            #"go json: "S3cr3t/Pa ss\"wörd\u0026x=1\u003cy\u003e""#,
            // Found by the second trial: the combinations.
            #"php json_encode: "S3cr3t\/Pa ss\"w\u00f6rd&x=1<y>""#,
            #"ascii and html-safe: "S3cr3t/Pa ss\"w\u00f6rd\u0026x=1\u003cy\u003e""#,
            #"jackson: "S3cr3t/Pa ss\"w\u00F6rd&x=1<y>""#,
        ]
        for input in inputs {
            let out = text(rules.redact(Array(input.utf8)[...]))
            #expect(out.contains("[REDACTED:K]"), "\(input) → \(out)")
            #expect(!out.contains("S3cr3t"), "\(input) → \(out)")
        }
        // URL-safe base64 of user:secret (JWT-style `-_` alphabet).
        let basic = Data("user:\(secret)".utf8).base64EncodedString().replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
        #expect(!text(rules.redact(Array("b64url \(basic)".utf8)[...])).contains(String(basic.dropFirst(8).prefix(12))))
        let js = RedactionRules(secrets: [Secret(key: "J", value: "it's (a) secret!*")])
        let encoded = text(js.redact(Array("js: it's%20(a)%20secret!*".utf8)[...]))
        #expect(encoded == "js: [REDACTED:J]", "\(encoded)")
        // An astral character: a surrogate pair in Python's escaping.
        let emoji = RedactionRules(secrets: [Secret(key: "E", value: "pass🔑word")])
        #expect(text(emoji.redact(Array(#"pass\ud83d\udd11word"#.utf8)[...])) == "[REDACTED:E]")
    }

    @Test func eachLineOfAMultiLineValueIsRedacted() {
        let key = "-----BEGIN KEY-----\r\nMIIEowIBAAKCAQEA\nshort\n-----END KEY-----"
        let rules = RedactionRules(secrets: [Secret(key: "TLS_KEY", value: key)])
        let out = text(rules.redact(Array("x -----BEGIN KEY----- y\nMIIEowIBAAKCAQEA\nshort\n".utf8)[...]))
        #expect(out == "x [REDACTED:TLS_KEY] y\n[REDACTED:TLS_KEY]\nshort\n")  // "short" is under 8 bytes
    }

    @Test func valuesShorterThanEightBytesAreNotRedacted() {
        let rules = RedactionRules(secrets: [Secret(key: "PIN", value: "1234567"), Secret(key: "OK", value: "12345678")])
        #expect(rules.formCount > 0)
        #expect(text(rules.redact(Array("1234567 12345678".utf8)[...])) == "1234567 [REDACTED:OK]")
        #expect(RedactionRules(secrets: [Secret(key: "PIN", value: "1234567")]).formCount == 0)
    }

    @Test func overlappingMatchesAreMergedAndTheLongestNamesThem() {
        let rules = RedactionRules(secrets: [
            Secret(key: "SHORT", value: "abcdefgh"), Secret(key: "LONG", value: "defghijklmnop"),
        ])
        #expect(text(rules.redact(Array("[abcdefghijklmnop]".utf8)[...])) == "[[REDACTED:LONG]]")
        #expect(text(rules.redact(Array("abcdefgh defghijklmnop".utf8)[...])) == "[REDACTED:SHORT] [REDACTED:LONG]")
    }

    @Test func aSecretSplitAtEveryPointOfTwoPiecesIsRedacted() {
        let rules = RedactionRules(secrets: [Secret(key: "TOKEN", value: "ghp_0123456789abcdef")])
        let input = Array("before ghp_0123456789abcdef after\nnext".utf8)
        for cut in 0...input.count {
            var stream = RedactingStream(rules: rules)
            let out = stream.feed(input[..<cut]) + stream.feed(input[cut...]) + stream.flush()
            #expect(text(out) == "before [REDACTED:TOKEN] after\nnext", "cut at \(cut)")
        }
    }

    @Test func aFinishedLineIsReleasedAtOnceAndHoldBackIsBounded() {
        let rules = RedactionRules(secrets: [Secret(key: "TOKEN", value: "ghp_0123456789abcdef")])
        var stream = RedactingStream(rules: rules)
        #expect(text(stream.feed(Array("one line\n".utf8))) == "one line\n")
        #expect(stream.heldBack == 0)
        _ = stream.feed([UInt8](repeating: UInt8(ascii: "x"), count: 10_000))
        #expect(stream.heldBack == rules.maximumLength - 1)
        #expect(text(stream.flush()) == String(repeating: "x", count: rules.maximumLength - 1))
    }

    @Test func newSecretsTakeEffectForTheNextPiece() {
        var stream = RedactingStream(rules: .empty)
        #expect(text(stream.feed(Array("value=hunter2hunter2\n".utf8))) == "value=hunter2hunter2\n")
        stream.rules = RedactionRules(secrets: [Secret(key: "P", value: "hunter2hunter2")])
        #expect(text(stream.feed(Array("value=hunter2hunter2\n".utf8))) == "value=[REDACTED:P]\n")
    }

    @Test func base64FormsMatchFoundationAtEveryOffset() {
        let value = Array("0123456789:pa$$word".utf8)
        for prefixLength in 0..<6 {
            let prefix = [UInt8](repeating: 0x41, count: prefixLength)
            let encoded = Array(Data(prefix + value + [0x42, 0x43]).base64EncodedString().utf8)
            let form = SecretForms.base64(value, shift: prefixLength % 3)
            #expect(form.count >= 8)
            let found = (0...(encoded.count - form.count)).contains { Array(encoded[$0..<($0 + form.count)]) == form }
            #expect(found, "offset \(prefixLength)")
        }
    }
}

/// Random secrets, random inputs (any bytes: NULs, invalid UTF-8, newlines) cut into random
/// pieces: the stream's output must equal a naive reference — every form searched at every
/// position, overlaps merged — of the whole input. Seeded; `STEVEDORE_SEED` replays a run,
/// `STEVEDORE_FUZZ_ITERATIONS` sets how many inputs (default 20,000; scripts run a million).
@Suite struct RedactionFuzzTests {
    /// The naive reference: all matches of all forms, merged like ``RedactionRules``.
    static func reference(_ input: [UInt8], _ secrets: [Secret]) -> [UInt8] {
        var found: [(Range<Int>, String)] = []
        let forms = secrets.flatMap { secret in SecretForms.forms(of: secret.value).map { ($0, secret.key) } }
        for start in input.indices {
            var best: (Int, String)?
            for (form, key) in forms where start + form.count <= input.count && form.count > (best?.0 ?? 0) {
                if Array(input[start..<(start + form.count)]) == form { best = (form.count, key) }
            }
            if let best { found.append((start..<(start + best.0), best.1)) }
        }
        var merged: [(Range<Int>, String, Int)] = []
        for (range, key) in found {
            if let last = merged.last, range.lowerBound < last.0.upperBound {
                let longer = range.count > last.2
                merged[merged.count - 1] = (
                    last.0.lowerBound..<max(last.0.upperBound, range.upperBound), longer ? key : last.1, max(last.2, range.count)
                )
            } else {
                merged.append((range, key, range.count))
            }
        }
        var out: [UInt8] = []
        var at = 0
        for (range, key, _) in merged {
            out += input[at..<range.lowerBound] + RedactionRules.marker(for: key)
            at = range.upperBound
        }
        return out + input[at...]
    }

    @Test func streamEqualsTheReferenceForRandomInputsAndPieces() {
        let environment = ProcessInfo.processInfo.environment
        let seed = environment["STEVEDORE_SEED"].flatMap { UInt64($0) } ?? UInt64.random(in: 0...UInt64.max)
        let iterations = environment["STEVEDORE_FUZZ_ITERATIONS"].flatMap { Int($0) } ?? 20_000
        print("RedactionFuzzTests seed \(seed) (replay: STEVEDORE_SEED=\(seed)), \(iterations) inputs")
        var random = SplitMix(state: seed)
        // A small alphabet makes secrets, their forms and near misses collide often.
        let alphabet: [UInt8] = Array("ab/+=%\"\\\n\0".utf8) + [0xFF, 0xC3]
        func bytes(_ count: Int) -> [UInt8] { (0..<count).map { _ in alphabet.randomElement(using: &random)! } }
        var mismatches = 0
        for iteration in 0..<iterations {
            let secrets = (0..<Int.random(in: 1...4, using: &random)).map { n in
                Secret(key: "K\(n)", value: bytes(Int.random(in: 6...14, using: &random)))
            }
            let rules = RedactionRules(secrets: secrets)
            var input = bytes(Int.random(in: 0...120, using: &random))
            // Plant whole forms so that matches are frequent.
            for _ in 0..<Int.random(in: 0...3, using: &random) {
                guard let secret = secrets.randomElement(using: &random),
                    let form = SecretForms.forms(of: secret.value).randomElement(using: &random)
                else { continue }
                input.insert(contentsOf: form, at: Int.random(in: 0...input.count, using: &random))
            }
            var stream = RedactingStream(rules: rules)
            var out: [UInt8] = []
            var at = 0
            while at < input.count {
                let piece = min(input.count - at, Int.random(in: 1...24, using: &random))
                out += stream.feed(input[at..<(at + piece)])
                at += piece
            }
            out += stream.flush()
            let expected = Self.reference(input, secrets)
            if out != expected {
                mismatches += 1
                if mismatches <= 3 {
                    Issue.record("iteration \(iteration) (seed \(seed)): input \(input) secrets \(secrets.map(\.value))")
                }
            }
        }
        #expect(mismatches == 0)
    }

    @Test func oneShotHandlesEveryByteValueAndEdgeLength() {
        let rules = RedactionRules(secrets: [Secret(key: "K", value: (0...255).map { UInt8($0) })])
        var random = SplitMix(state: 42)
        for length in [0, 1, 7, 8, 9, 255, 256, 257, 4096] {
            let input = (0..<length).map { _ in UInt8.random(in: 0...255, using: &random) }
            #expect(rules.redact(input[...]) == Self.reference(input, [Secret(key: "K", value: (0...255).map { UInt8($0) })]))
        }
    }
}
