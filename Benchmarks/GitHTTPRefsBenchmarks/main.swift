// What one check of an unchanged remote costs in-process (issue 14), against a real
// `git http-backend` on 127.0.0.1 (Tests/DockerTests/Fixtures/git-http/serve.py), beside
// `git ls-remote` of the same URL and the in-process read of a local path. Prints, per way,
// the median and p99 of the wall time and of this process's CPU (utime + stime of all its
// threads, getrusage; for `git ls-remote`, plus the children it waited for) over N checks
// (default 100; first argument). The server's own CPU (python + http-backend) is not counted.
// Build and run: swift build -c release --product GitHTTPRefsBenchmarks && .build/release/GitHTTPRefsBenchmarks
import Docker
import Foundation

let checks = CommandLine.arguments.dropFirst().first.flatMap { Int($0) } ?? 100
let work = FileManager.default.temporaryDirectory.appendingPathComponent("git-http-bench-\(UUID().uuidString.prefix(8))").path
try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
defer { try? FileManager.default.removeItem(atPath: work) }

@discardableResult
func sh(_ script: String) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/bin/sh")
    process.arguments = ["-c", script]
    process.environment = [
        "PATH": "/usr/bin:/bin", "HOME": work, "GIT_AUTHOR_NAME": "b", "GIT_AUTHOR_EMAIL": "b@example.invalid",
        "GIT_COMMITTER_NAME": "b", "GIT_COMMITTER_EMAIL": "b@example.invalid",
    ]
    let out = Pipe()
    process.standardOutput = out
    try process.run()
    let data = out.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else { throw GitError.commandFailed("failed: \(script)") }
    return String(decoding: data, as: UTF8.self)
}

try sh(
    "git init -q -b main \(work)/src && echo hi > \(work)/src/f && git -C \(work)/src add -A && git -C \(work)/src commit -qm v1 && git init -q --bare -b main \(work)/remote.git && git -C \(work)/src push -q \(work)/remote.git main"
)
let expected = try sh("git -C \(work)/remote.git rev-parse main").trimmingCharacters(in: .whitespacesAndNewlines)

/// A serve.py server: its process and port.
func serve(_ options: [String]) throws -> (Process, Int) {
    let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent(
        "../../Tests/DockerTests/Fixtures/git-http/serve.py"
    ).standardized.path
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["python3", script, work] + options
    let out = Pipe()
    process.standardOutput = out
    try process.run()
    var line: [UInt8] = []
    while !line.contains(0x0A) {
        let data = out.fileHandleForReading.availableData
        if data.isEmpty { break }
        line += data
    }
    guard let port = Int(String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)) else {
        throw GitError.commandFailed("serve.py printed no port")
    }
    return (process, port)
}

func cpuSeconds(_ who: __rusage_who) -> Double {
    var usage = rusage()
    getrusage(who.rawValue, &usage)
    return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
}

func percentile(_ values: [Double], _ p: Double) -> Double {
    let sorted = values.sorted()
    return sorted[min(sorted.count - 1, Int((Double(sorted.count - 1) * p).rounded(.up)))]
}

/// Runs `check` N times (after 3 unmeasured), printing median and p99 of wall and CPU.
func measure(_ name: String, children: Bool = false, _ check: () async throws -> String) async throws {
    func used() -> Double { cpuSeconds(RUSAGE_SELF) + (children ? cpuSeconds(RUSAGE_CHILDREN) : 0) }
    for _ in 0..<3 { _ = try await check() }
    var walls: [Double] = []
    var cpus: [Double] = []
    let clock = ContinuousClock()
    for _ in 0..<checks {
        let cpu = used()
        let start = clock.now
        let head = try await check()
        let wall = clock.now - start
        cpus.append(used() - cpu)
        walls.append(Double(wall.components.seconds) + Double(wall.components.attoseconds) / 1e18)
        guard head == expected else { throw GitError.commandFailed("\(name): \(head), expected \(expected)") }
    }
    func ms(_ seconds: Double) -> String { String(format: "%8.2f", seconds * 1000) }
    print(
        "\(name.padding(toLength: 38, withPad: " ", startingAt: 0)) wall median \(ms(percentile(walls, 0.5))) ms  p99 \(ms(percentile(walls, 0.99))) ms   CPU median \(ms(percentile(cpus, 0.5))) ms  p99 \(ms(percentile(cpus, 0.99))) ms"
    )
}

let (v2Server, v2Port) = try serve([])
let (v0Server, v0Port) = try serve(["--v0"])
defer {
    kill(v2Server.processIdentifier, SIGKILL)
    kill(v0Server.processIdentifier, SIGKILL)
}
let refs = GitHTTPRefs(client: GitHTTPRefs.sharedClient)
print("\(checks) checks of an unchanged remote (release build: swift build -c release)")
try await measure("in-process HTTP, protocol v2") {
    try await refs.head(url: "http://127.0.0.1:\(v2Port)/remote.git", branch: "main", deployment: "bench", timeout: .seconds(30))
}
try await measure("in-process HTTP, protocol v0") {
    try await refs.head(url: "http://127.0.0.1:\(v0Port)/remote.git", branch: "main", deployment: "bench", timeout: .seconds(30))
}
try await measure("in-process local path") {
    try GitRefDiscovery.localHead(url: work + "/remote.git", path: work + "/remote.git", branch: "main")
}
let lsRemote = GitClient(executor: LocalGitExecutor(), timeout: .seconds(30), checkMethod: .lsRemote)
let access = GitAccess(deployment: "bench", agentDirectory: nil, sshDirectory: work)
try await measure("git ls-remote (local mode), HTTP v2", children: true) {
    try await lsRemote.remoteHead(url: "http://127.0.0.1:\(v2Port)/remote.git", branch: "main", access: access)
}
try await measure("git ls-remote (local mode), path", children: true) {
    try await lsRemote.remoteHead(url: work + "/remote.git", branch: "main", access: access)
}
