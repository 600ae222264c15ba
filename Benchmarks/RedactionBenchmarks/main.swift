// Redaction throughput (prints numbers; not a test): `scripts/bench.sh redaction`.
//
// 50 secrets of 16–40 bytes (about 600 forms), 64 MiB of log-like lines with a secret in one
// line of 100, fed to a RedactingStream in 16 KiB pieces (a Docker frame's usual size).
// Prints MiB/s and lines/s, median of 5 runs, and the CPU seconds per MiB.
import Foundation
import Redaction

let letters = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789".utf8)
func word(_ n: Int) -> [UInt8] { (0..<n).map { _ in letters.randomElement()! } }

let secrets = (0..<50).map { Secret(key: "SECRET_\($0)", value: word(Int.random(in: 16...40))) }
let rules = RedactionRules(secrets: secrets)
var text: [UInt8] = []
var lines = 0
while text.count < 64 << 20 {
    text += Array("2026-12-01T16:00:00.000000000Z GET /api/items?page=\(lines % 97) 200 12ms user=".utf8) + word(12)
    if lines % 100 == 0 { text += Array(" token=".utf8) + secrets[lines % 50].value }
    text.append(0x0A)
    lines += 1
}
func cpuSeconds() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6 + Double(usage.ru_stime.tv_sec)
        + Double(usage.ru_stime.tv_usec) / 1e6
}
var rates: [Double] = []
var cpuPerMiB: [Double] = []
var redactedBytes = 0
for _ in 0..<5 {
    var stream = RedactingStream(rules: rules)
    let clock = ContinuousClock()
    let cpu0 = cpuSeconds()
    let start = clock.now
    var out = 0
    var at = 0
    while at < text.count {
        let end = min(text.count, at + 16 << 10)
        out += stream.feed(text[at..<end]).count
        at = end
    }
    out += stream.flush().count
    let seconds = (clock.now - start) / .seconds(1)
    rates.append(Double(text.count) / Double(1 << 20) / seconds)
    cpuPerMiB.append((cpuSeconds() - cpu0) / (Double(text.count) / Double(1 << 20)))
    redactedBytes = out
}
rates.sort()
cpuPerMiB.sort()
let mib = Double(text.count) / Double(1 << 20)
print(String(format: "redaction: %d secrets (%d forms), %.0f MiB, %d lines, 16 KiB pieces", secrets.count, rules.formCount, mib, lines))
print(
    String(
        format: "  throughput median %.1f MiB/s (%.0f lines/s), min %.1f, max %.1f", rates[2], rates[2] * Double(lines) / mib, rates[0],
        rates[4]))
print(String(format: "  CPU %.4f s per MiB (median of 5); output %d bytes", cpuPerMiB[2], redactedBytes))
