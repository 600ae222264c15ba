import Docker
import Foundation
import SeededRandom
import Testing

@testable import Services

/// Seeded randomized tests of the webhook parsers of untrusted bytes: signature and token
/// headers, event and content-type detection, the push payload's JSON, form bodies. Inputs are
/// the corpus of Fixtures/webhooks (the providers' documented shapes) and small seeds, mutated
/// (bit flips, JSON tokens, cut, spliced, duplicated ranges), with mutated headers, fed whole
/// and in random pieces; and random JSON documents (escapes, duplicate keys, deep nesting,
/// wrong types) compared with JSONSerialization. No input may trap, the pieces must agree with
/// the whole, a signature must hold exactly when the signed bytes arrive, and nothing may grow
/// past the body limit. `STEVEDORE_SEED` replays a run, `STEVEDORE_FUZZ_ITERATIONS` sets how
/// many inputs per test (default 20,000; scripts/fuzz.sh runs a million).
@Suite struct WebhookFuzzTests {
    static let environment = ProcessInfo.processInfo.environment
    static let seed = environment["STEVEDORE_SEED"].flatMap { UInt64($0) } ?? UInt64.random(in: 0...UInt64.max)
    static let iterations = environment["STEVEDORE_FUZZ_ITERATIONS"].flatMap { Int($0) } ?? 20_000
    static let secret = "3a1f0c9e8d7b6a5f4e3d2c1b0a998877"

    /// The corpus: every fixture and a few small seeds.
    static let corpus: [(provider: WebhookProvider, event: String, form: Bool, body: [UInt8])] = {
        var seeds = WebhookFixtures.all.map { fixture in
            (
                fixture.provider, fixture.name.contains("ping") ? "ping" : "push", fixture.name.hasSuffix(".form"),
                [UInt8](fixture.body)
            )
        }
        for small in [
            #"{"ref":"refs/heads/main","after":"abc"}"#, #"{"ref":"refs/heads/main","after":"0000000000000000000000000000000000000000"}"#,
            #"{"ref":"refs/heads/main","deleted":true,"after":null}"#, "{}", "[]", "", "payload=%7B%7D", #"{"ref":"\u0072\ud83d\ude00"}"#,
        ] {
            seeds.append((.github, "push", false, Array(small.utf8)))
        }
        return seeds
    }()

    /// The outcome of one verification, comparable.
    enum Outcome: Equatable {
        case delivered(WebhookDelivery)
        case refused(WebhookError)
        case failed(String)
    }

    static func outcome(_ body: () throws -> WebhookDelivery) -> Outcome {
        do { return .delivered(try body()) } catch let error as WebhookError { return .refused(error) } catch {
            return .failed(String(describing: error))
        }
    }

    static func whole(_ provider: WebhookProvider, _ headers: [String: String], _ body: [UInt8]) -> Outcome {
        outcome { try WebhookVerifier.verify(provider, headers: headers, body: Data(body), secret: secret) }
    }

    static func inPieces(_ provider: WebhookProvider, _ headers: [String: String], _ body: [UInt8], _ rng: inout SplitMix) -> Outcome {
        var sizes: [Int] = []
        var left = body.count
        while left > 0 {
            let n = Int.random(in: 1...max(1, min(left, [1, 3, 64, 1000][Int.random(in: 0..<4, using: &rng)])), using: &rng)
            sizes.append(n)
            left -= n
        }
        return outcome {
            var verification = try WebhookVerification(provider, headers: headers, secret: secret)
            var offset = 0
            for size in sizes {
                try verification.append(body[offset..<offset + size])
                offset += size
            }
            return try verification.finish()
        }
    }

    static let tokens: [[UInt8]] = [
        "\"", "\\", "\\u", "\\ud800", "\\udc00", "\\u0000", "{", "}", "[", "]", ":", ",", "null", "true", "false", "-0", "1e999",
        "\"ref\":", "\"after\":", "\"deleted\":", "\"ref\":\"refs/heads/main\",", "0000000000000000000000000000000000000000", "payload=",
        "%7B", "%", "+", "\u{FEFF}", "\u{0}", "é", "\u{1F600}",
    ].map { Array($0.utf8) }

    static func mutate(_ input: [UInt8], _ rng: inout SplitMix) -> [UInt8] {
        var bytes = input
        for _ in 0..<Int.random(in: 1...8, using: &rng) {
            let at = bytes.isEmpty ? 0 : Int.random(in: 0..<bytes.count, using: &rng)
            switch Int.random(in: 0..<8, using: &rng) {
            case 0 where !bytes.isEmpty: bytes[at] ^= 1 << UInt8.random(in: 0...7, using: &rng)
            case 1 where !bytes.isEmpty:
                bytes[at] = [0, 0x22, 0x5C, 0x7B, 0x7D, 0x5B, 0x5D, 0x3A, 0x2C, 0xFF, 0xC0, 0x80][Int.random(in: 0..<12, using: &rng)]
            case 2 where !bytes.isEmpty: bytes.removeSubrange(at..<min(bytes.count, at + Int.random(in: 1...64, using: &rng)))
            case 3: bytes.insert(contentsOf: tokens[Int.random(in: 0..<tokens.count, using: &rng)], at: at)
            case 4:
                bytes.insert(
                    contentsOf: (0..<Int.random(in: 1...16, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }, at: at)
            case 5 where !bytes.isEmpty:
                let end = min(bytes.count, at + Int.random(in: 1...256, using: &rng))
                bytes.insert(contentsOf: bytes[at..<end], at: Int.random(in: 0...bytes.count, using: &rng))
            case 6: bytes = Array(bytes.prefix(at))
            default:
                let other = corpus[Int.random(in: 0..<corpus.count, using: &rng)].body
                let cut = other.isEmpty ? 0 : Int.random(in: 0..<other.count, using: &rng)
                bytes = Array(bytes.prefix(at)) + other[cut...]
            }
        }
        return bytes
    }

    static func randomText(_ rng: inout SplitMix, maxLength: Int = 80) -> String {
        let alphabet = Array("0123456789abcdefABCDEF=sha256 \t;,/-_\"\\é\u{0}\u{7F}\u{1F600}")
        return String(
            (0..<Int.random(in: 0...maxLength, using: &rng)).map { _ in alphabet[Int.random(in: 0..<alphabet.count, using: &rng)] })
    }

    /// Mutates the headers; `true` if the proof (signature or token) is left as it was.
    static func mutateHeaders(_ headers: inout [String: String], _ provider: WebhookProvider, _ rng: inout SplitMix) -> Bool {
        var intact = true
        let proof = ["X-Hub-Signature-256", "X-Gitea-Signature", "X-Gitlab-Token"][
            [WebhookProvider.github, .gitea, .gitlab].firstIndex(of: provider)!]
        for _ in 0..<Int.random(in: 0...3, using: &rng) {
            switch Int.random(in: 0..<9, using: &rng) {
            case 0:
                headers[proof] = nil
                intact = false
            case 1:
                headers[proof] = randomText(&rng)
                intact = false
            case 2:
                // One character changed: still well-formed hex, but wrong.
                if var value = headers[proof].map(Array.init), !value.isEmpty {
                    let i = value.count - 1 - Int.random(in: 0..<min(value.count, 64), using: &rng)
                    value[i] = value[i] == "0" ? "1" : "0"
                    headers[proof] = String(value)
                    intact = false
                }
            case 3:
                headers[proof] = headers[proof].map {
                    provider == .gitlab ? $0 : $0.uppercased().replacingOccurrences(of: "SHA256=", with: "sha256=")
                }
            case 4:
                headers[proof] = randomText(&rng, maxLength: 5000)
                intact = false
            case 5:
                let key = ["X-GitHub-Event", "X-Gitea-Event", "X-Gitlab-Event", "X-Forgejo-Event"][Int.random(in: 0..<4, using: &rng)]
                headers[key] =
                    ["push", "ping", "Push Hook", "Tag Push Hook", "issues", "", randomText(&rng)][Int.random(in: 0..<7, using: &rng)]
            case 6:
                headers["Content-Type"] =
                    [
                        "application/json", "application/x-www-form-urlencoded", "application/json; charset=utf-8",
                        "APPLICATION/X-WWW-FORM-URLENCODED ; charset=x", "text/plain", "", randomText(&rng),
                    ][Int.random(in: 0..<7, using: &rng)]
            case 7:
                // Another case for every name (header names are case-insensitive).
                // (In key order: a dictionary's own order differs from run to run, and the seed
                // must replay the run.)
                headers = Dictionary(
                    headers.sorted { $0.key < $1.key }.map {
                        (Bool.random(using: &rng) ? $0.key.lowercased() : $0.key.uppercased(), $0.value)
                    },
                    uniquingKeysWith: { a, _ in a })
            default: headers[randomText(&rng, maxLength: 12)] = randomText(&rng)
            }
        }
        return intact
    }

    @Test("mutated corpus deliveries with mutated headers: no trap, pieces agree, signatures hold")
    func mutatedDeliveries() {
        print("WebhookFuzzTests seed \(Self.seed) (replay: STEVEDORE_SEED=\(Self.seed)), \(Self.iterations) inputs per test")
        var rng = SplitMix(state: Self.seed)
        var delivered = 0
        for _ in 0..<Self.iterations {
            let seed = Self.corpus[Int.random(in: 0..<Self.corpus.count, using: &rng)]
            let provider = Int.random(in: 0..<4, using: &rng) == 0 ? WebhookProvider.allCases.randomElement(using: &rng)! : seed.provider
            let body = Int.random(in: 0..<5, using: &rng) == 0 ? seed.body : Self.mutate(seed.body, &rng)
            let signsWhatArrives = Int.random(in: 0..<4, using: &rng) != 0
            let signed = signsWhatArrives ? body : seed.body
            var headers = WebhookFixtures.headers(provider, event: seed.event, body: Data(signed), secret: Self.secret, form: seed.form)
            let intact = Self.mutateHeaders(&headers, provider, &rng)
            let whole = Self.whole(provider, headers, body)
            let pieces = Self.inPieces(provider, headers, body, &rng)
            #expect(whole == pieces, "seed \(Self.seed): whole and pieces disagree")
            if case .failed(let error) = whole { Issue.record("seed \(Self.seed): not a WebhookError: \(error)") }
            guard intact else { continue }
            switch (provider, whole) {
            case (.gitlab, .refused(let error)):
                #expect(error != .badToken && error != .badSignature, "seed \(Self.seed): the right token was refused: \(error)")
            case (_, .refused(.badSignature)):
                #expect(signed != body, "seed \(Self.seed): a correct signature was refused")
            case (.github, _), (.gitea, _):
                #expect(signed == body, "seed \(Self.seed): a wrong signature was accepted: \(whole)")
            default: break
            }
            if case .delivered(let delivery) = whole {
                delivered += 1
                let contentType =
                    headers.sorted { $0.key < $1.key }.first { $0.key.lowercased() == "content-type" }?.value.lowercased() ?? ""
                #expect(!contentType.hasPrefix("application/x-www-form-urlencoded"), "seed \(Self.seed): a form body was read")
                if delivery.event == "push" { Self.compareWithJSONSerialization(body, delivery) }
            }
        }
        print("WebhookFuzzTests: \(delivered) of \(Self.iterations) mutated deliveries were accepted as genuine")
    }

    /// A genuine push read by ``WebhookVerification`` says what JSONSerialization reads.
    /// Differences between the two parsers found by this test, and allowed:
    /// - JSONDecoder does not check the values it skips: numbers (`1e999`, `0123`, `1.`, `-`),
    ///   escapes (`\q`, a lone surrogate `\ud800`), raw control characters and invalid UTF-8
    ///   in strings, where JSONSerialization refuses the whole document;
    /// - of duplicate keys JSONDecoder keeps the first, JSONSerialization the last (RFC 8259,
    ///   section 4, leaves it open);
    /// - JSONSerialization drops a U+FEFF that starts a string or follows an escape (a
    ///   JSONSerialization bug: RFC 8259 keeps every character of a string; JSONDecoder does).
    /// None lets a stranger in: a payload is read only once its signature holds.
    static func compareWithJSONSerialization(_ body: [UInt8], _ delivery: WebhookDelivery, duplicatesPossible: Bool = true) {
        let text = String(decoding: body, as: UTF8.self)
        guard let object = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any] else {
            let lenient = hasLenientlyReadBytes(body)  // (not the bytes: #expect would print them all)
            #expect(lenient, "seed \(seed): a push JSONSerialization cannot read was accepted: \(text.prefix(300))")
            return
        }
        if duplicatesPossible, ["\"ref\"", "\"after\"", "\"deleted\""].contains(where: { text.components(separatedBy: $0).count > 2 }) {
            return
        }
        func same(_ ours: String?, _ theirs: String?) -> Bool {
            ours == theirs || ours.map { String($0.unicodeScalars.filter { $0 != "\u{FEFF}" }) } == theirs
        }
        #expect(same(delivery.ref, object["ref"] as? String), "seed \(seed): \(text.prefix(300))")
        #expect(same(delivery.after, object["after"] as? String), "seed \(seed): \(text.prefix(300))")
        // (`after` as read here: the same as JSONSerialization's but for a U+FEFF it drops.)
        let zeros = delivery.after.map { !$0.isEmpty && $0.allSatisfy { $0 == "0" } } ?? false
        #expect(delivery.deleted == ((object["deleted"] as? Bool) == true || zeros), "seed \(seed): \(text.prefix(300))")
    }

    /// `text` has an escape of a UTF-16 surrogate (`\uD800` to `\uDFFF`).
    static func hasSurrogateEscape(_ text: String) -> Bool {
        text.range(of: #"\\u[dD][89abcdefABCDEF]"#, options: .regularExpression) != nil
    }

    /// `body` has what JSONDecoder reads in a value it skips and JSONSerialization refuses:
    /// invalid UTF-8, a raw control character in a string, an escape JSON does not have, a
    /// surrogate escape, or a number that is not JSON's or not a finite double.
    static func hasLenientlyReadBytes(_ body: [UInt8]) -> Bool {
        guard let text = String(bytes: body, encoding: .utf8) else { return true }
        if hasSurrogateEscape(text) { return true }
        let hex = Set(Array("0123456789abcdefABCDEF".utf8))
        let escapes = Set(Array(#""\/bfnrtu"#.utf8))
        let numberBytes = Set(Array("-+.eE0123456789".utf8))
        var inString = false
        var i = 0
        while i < body.count {
            let byte = body[i]
            if !inString, byte == UInt8(ascii: "-") || (0x30...0x39).contains(byte) {
                var end = i
                while end < body.count, numberBytes.contains(body[end]) { end += 1 }
                let token = String(decoding: body[i..<end], as: UTF8.self)
                let grammar = #"^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?$"#
                if token.range(of: grammar, options: .regularExpression) == nil || !(Double(token)?.isFinite ?? false) { return true }
                i = end
                continue
            }
            i += 1
            if byte == 0x22 {
                inString.toggle()
            } else if inString, byte < 0x20 {
                return true
            } else if inString, byte == 0x5C {
                guard i < body.count, escapes.contains(body[i]) else { return true }
                if body[i] == UInt8(ascii: "u") {
                    guard i + 4 < body.count, body[(i + 1)...(i + 4)].allSatisfy(hex.contains) else { return true }
                }
                i += 1
            }
        }
        return false
    }

    @Test("the comparison's allowances are narrow: documented payloads have none of them")
    func allowancesAreNarrow() {
        for fixture in WebhookFixtures.all where fixture.name.hasSuffix(".json") {
            #expect(!Self.hasLenientlyReadBytes([UInt8](fixture.body)), "\(fixture.name)")
        }
        for plain in [#"{"a":true,"b":[false,null,-0.5e+3,0,12]}"#, #"{"s":"\"\\\/\b\f\n\r\t\u00e9"}"#] {
            #expect(!Self.hasLenientlyReadBytes(Array(plain.utf8)), "\(plain)")
        }
        for lenient in [#"{"x":1e999}"#, #"{"x":0123}"#, #"{"x":1.}"#, #"{"x":"\q"}"#, #"{"x":"\ud800"}"#, "{\"x\":\"\u{7}\"}"] {
            #expect(Self.hasLenientlyReadBytes(Array(lenient.utf8)), "\(lenient)")
        }
        #expect(Self.hasLenientlyReadBytes([0x7B, 0x22, 0xFF, 0x22, 0x7D]))
    }

    @Test("random signature and token headers: the header checks never trap and accept only the right proof")
    func randomHeaders() {
        var rng = SplitMix(state: Self.seed ^ 0xA11CE)
        let right = WebhookVerifier.signature(body: Data(), secret: Self.secret)
        for _ in 0..<Self.iterations {
            let provider = WebhookProvider.allCases.randomElement(using: &rng)!
            var value: String
            switch Int.random(in: 0..<5, using: &rng) {
            case 0:
                value =
                    "sha256="
                    + String(
                        (0..<Int.random(in: 0...70, using: &rng)).map { _ in
                            Array("0123456789abcdefABCDEFxyz")[Int.random(in: 0..<25, using: &rng)]
                        })
            case 1: value = String(right.map { Int.random(in: 0..<64, using: &rng) == 0 ? "f" : $0 })
            case 2: value = Int.random(in: 0..<2, using: &rng) == 0 ? "sha256=" + right : right.uppercased()
            case 3: value = Self.randomText(&rng, maxLength: 200)
            default:
                value =
                    Int.random(in: 0..<2, using: &rng) == 0 ? Self.secret : String(Self.secret.dropLast(Int.random(in: 0...3, using: &rng)))
            }
            let name = ["X-Hub-Signature-256", "x-gitea-signature", "X-FORGEJO-SIGNATURE", "X-Gitlab-Token"][
                Int.random(in: 0..<4, using: &rng)]
            let outcome = Self.whole(provider, [name: value, "X-GitHub-Event": "ping", "X-Gitea-Event": "ping"], [])
            let accepted: Bool
            switch provider {
            case .github: accepted = name == "X-Hub-Signature-256" && value.lowercased() == "sha256=" + right && value.hasPrefix("sha256=")
            case .gitea: accepted = name != "X-Hub-Signature-256" && name != "X-Gitlab-Token" && value.lowercased() == right
            case .gitlab: accepted = name == "X-Gitlab-Token" && value == Self.secret
            }
            if accepted {
                #expect(
                    outcome == .delivered(WebhookDelivery(event: provider == .gitlab ? "" : "ping", deliveryId: nil)),
                    "seed \(Self.seed): \(name): \(value)")
            } else {
                guard case .refused(let error) = outcome else {
                    Issue.record("seed \(Self.seed): \(provider) accepted \(name): \(value)")
                    continue
                }
                switch error {
                case .badSignature, .badToken, .missingSignature, .malformedSignature: break
                default: Issue.record("seed \(Self.seed): \(error) for \(name): \(value)")
                }
            }
        }
    }

    /// A random JSON value: scalars, strings with every kind of escape, nested containers.
    static func randomJSON(_ rng: inout SplitMix, depth: Int) -> String {
        switch Int.random(in: 0..<(depth > 4 ? 5 : 8), using: &rng) {
        case 0: return "null"
        case 1: return Bool.random(using: &rng) ? "true" : "false"
        case 2: return ["0", "-1", "3.25", "1e300", "12345678901234567890", "-0.0"][Int.random(in: 0..<6, using: &rng)]
        case 3, 4: return randomString(&rng)
        case 5, 6:
            let members = (0..<Int.random(in: 0...4, using: &rng)).map { _ in randomString(&rng) + ":" + randomJSON(&rng, depth: depth + 1)
            }
            return "{" + members.joined(separator: Bool.random(using: &rng) ? "," : " ,\n ") + "}"
        default:
            return "[" + (0..<Int.random(in: 0...4, using: &rng)).map { _ in randomJSON(&rng, depth: depth + 1) }.joined(separator: ",")
                + "]"
        }
    }

    static func randomString(_ rng: inout SplitMix) -> String {
        let pieces = [
            "a", "refs/heads/main", "ref", "after", "deleted", "é", "\u{1F600}", "\\\"", "\\\\", "\\/", "\\n", "\\u0072", "\\u00e9",
            "\\ud83d\\ude00", "\\ud800", "\\udfff", "\\u0000", " ", "0",
        ]
        return "\"" + (0..<Int.random(in: 0...6, using: &rng)).map { _ in pieces[Int.random(in: 0..<pieces.count, using: &rng)] }.joined()
            + "\""
    }

    @Test("random push payloads: read as JSONSerialization reads them, deep nesting and all")
    func randomPayloads() {
        var rng = SplitMix(state: Self.seed ^ 0x7A110AD)
        var agreed = 0
        for i in 0..<Self.iterations {
            var members: [String] = []
            // `ref` plainly or escaped, never both (duplicates: see compareWithJSONSerialization).
            let ref = Bool.random(using: &rng) ? "\"ref\"" : "\"r\\u0065f\""
            for key in [ref, "\"after\"", "\"deleted\"", "\"repository\"", "\"commits\""].shuffled(using: &rng)
            where Int.random(in: 0..<3, using: &rng) != 0 {
                let value: String
                switch (key, Int.random(in: 0..<3, using: &rng)) {
                case ("\"after\"", 0): value = "\"" + String(repeating: "0", count: [40, 64, 1][Int.random(in: 0..<3, using: &rng)]) + "\""
                case ("\"deleted\"", 0): value = Bool.random(using: &rng) ? "true" : "false"
                case ("\"ref\"", 0), ("\"r\\u0065f\"", 0): value = "\"refs/heads/main\""
                default: value = Self.randomJSON(&rng, depth: 0)
                }
                members.append(key + ":" + value)
            }
            var text = "{" + members.joined(separator: ",") + "}"
            if i % 1000 == 0 {
                // Deep nesting (far past any sane payload): refused or read, never a crash.
                let depth = Int.random(in: 100...20_000, using: &rng)
                text =
                    "{\"ref\":\"refs/heads/main\",\"x\":" + String(repeating: "[", count: depth) + String(repeating: "]", count: depth)
                    + "}"
            }
            let body = Array(text.utf8)
            let headers = WebhookFixtures.headers(.github, event: "push", body: Data(body), secret: Self.secret)
            let outcome = Self.whole(.github, headers, body)
            let object = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any]
            switch outcome {
            case .delivered(let delivery):
                Self.compareWithJSONSerialization(body, delivery, duplicatesPossible: false)
                agreed += 1
            case .refused(.malformedPayload):
                // Refused only what JSONSerialization reads differently: no string `ref`, a
                // non-string `after` or one that is neither a commit id nor a deletion's
                // zeros, a non-boolean `deleted`, or not JSON it accepts.
                if let object, !Self.hasSurrogateEscape(text), object["ref"] is String,
                    object["after"].map({ Self.isAcceptableAfter($0) }) ?? true,
                    object["deleted"] == nil
                {
                    Issue.record("seed \(Self.seed): refused a push JSONSerialization reads: \(text.prefix(300))")
                }
            default: Issue.record("seed \(Self.seed): \(outcome) for \(text.prefix(300))")
            }
        }
        print("WebhookFuzzTests: \(agreed) of \(Self.iterations) random payloads read as pushes")
    }

    /// An `after` the route takes: JSON null, a commit id, or only zeros (a deletion).
    static func isAcceptableAfter(_ value: Any) -> Bool {
        if value is NSNull { return true }
        guard let text = value as? String else { return false }
        return GitHead.isCommit(text) || (!text.isEmpty && text.allSatisfy { $0 == "0" })
    }

    @Test("form bodies and bodies at the size limit")
    func formBodiesAndTheLimit() throws {
        var rng = SplitMix(state: Self.seed ^ 0xF0F0)
        for _ in 0..<Self.iterations / 4 {
            let json = Self.randomJSON(&rng, depth: 2)
            var form = "payload=" + (json.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")
            if Bool.random(using: &rng) {
                form += "&" + Self.randomText(&rng).addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
            }
            let body = Array(form.utf8)
            let event = ["push", "ping", "issues"][Int.random(in: 0..<3, using: &rng)]
            let headers = WebhookFixtures.headers(
                .github, event: event, body: Data(body), secret: Self.secret, form: Bool.random(using: &rng))
            #expect(
                Self.inPieces(.github, headers, body, &rng) == .refused(.formEncoded(event: event)),
                "seed \(Self.seed): \(form.prefix(200))")
        }
        // Bodies around the limit, in big pieces: refused past it, and nothing kept beyond it.
        let piece = Data(repeating: 0x20, count: 1 << 16)
        for _ in 0..<max(2, Self.iterations / 5000) {
            let size = WebhookLimits.maxBodyBytes + Int.random(in: -2...2, using: &rng)
            var verification = try WebhookVerification(
                .github, headers: ["X-Hub-Signature-256": "sha256=" + String(repeating: "0", count: 64), "X-GitHub-Event": "push"],
                secret: Self.secret)
            var sent = 0
            var refused = false
            while sent < size {
                let n = min(piece.count, size - sent)
                do { try verification.append(piece.prefix(n)) } catch {
                    refused = error == .tooLarge
                    break
                }
                sent += n
            }
            #expect(refused == (size > WebhookLimits.maxBodyBytes), "seed \(Self.seed): \(size) bytes")
            #expect(verification.byteCount <= WebhookLimits.maxBodyBytes)
        }
    }
}
