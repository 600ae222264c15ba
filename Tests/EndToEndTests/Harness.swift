import AsyncHTTPClient
import Foundation
import NIOCore
import Testing

/// What a command printed and how it ended.
struct CommandResult {
    var status: Int32
    var stdout: String
    var stderr: String
}

/// Runs a program to completion (no shell).
@discardableResult
func runProgram(_ executable: String, _ arguments: [String], environment: [String: String]? = nil, directory: String? = nil) throws
    -> CommandResult
{
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    if let environment { process.environment = environment }
    if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
    let out = Pipe()
    let err = Pipe()
    process.standardOutput = out
    process.standardError = err
    process.standardInput = FileHandle.nullDevice
    try process.run()
    // Read both pipes concurrently so a chatty child cannot block.
    final class Box: @unchecked Sendable { var data = Data() }
    let outBox = Box()
    let group = DispatchGroup()
    group.enter()
    DispatchQueue.global().async {
        outBox.data = out.fileHandleForReading.readDataToEndOfFile()
        group.leave()
    }
    let errData = err.fileHandleForReading.readDataToEndOfFile()
    group.wait()
    let outData = outBox.data
    process.waitUntilExit()
    return CommandResult(
        status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
        stderr: String(decoding: errData, as: UTF8.self))
}

/// Runs `/bin/sh -c script`, failing the test on a non-zero exit.
@discardableResult
func sh(_ script: String, environment: [String: String] = [:]) throws -> String {
    var env = ProcessInfo.processInfo.environment
    env.merge([
        "GIT_AUTHOR_NAME": "e2e", "GIT_AUTHOR_EMAIL": "e2e@example.invalid",
        "GIT_COMMITTER_NAME": "e2e", "GIT_COMMITTER_EMAIL": "e2e@example.invalid",
    ]) { _, new in new }
    env.merge(environment) { _, new in new }
    let result = try runProgram("/bin/sh", ["-c", script], environment: env)
    guard result.status == 0 else {
        throw HarnessError("`\(script)` failed (\(result.status)): \(result.stderr)\(result.stdout)")
    }
    return result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
}

struct HarnessError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// The `stevedore` binary under test: `$STEVEDORE_BIN`, else the debug build of this package.
var stevedoreBinary: String {
    if let bin = ProcessInfo.processInfo.environment["STEVEDORE_BIN"], !bin.isEmpty { return bin }
    let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    return packageRoot.appendingPathComponent(".build/debug/stevedore").path
}

/// A TCP port that was free a moment ago on 127.0.0.1.
func freePort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = 0
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
    }
    guard bound else { throw HarnessError("cannot find a free port") }
    return Int(UInt16(bigEndian: address.sin_port))
}

/// Polls `condition` every `interval` (500 ms) until it holds. `limit` only bounds a broken
/// run; no assertion depends on how fast the machine is.
func waitUntil(
    _ what: String, limit: Duration = .seconds(300), every interval: Duration = .milliseconds(500), _ condition: () async throws -> Bool
) async throws {
    let clock = ContinuousClock()
    let deadline = clock.now + limit
    var lastError: (any Error)?
    while clock.now < deadline {
        do {
            if try await condition() { return }
        } catch {
            lastError = error
        }
        try await Task.sleep(for: interval)
    }
    throw HarnessError("gave up waiting for: \(what)" + (lastError.map { " (last error: \($0))" } ?? ""))
}

/// `GET url` → (status, body), or nil if nothing answers.
func httpGet(_ url: String, bearer: String? = nil) async -> (Int, String)? {
    var request = HTTPClientRequest(url: url)
    if let bearer { request.headers.add(name: "Authorization", value: "Bearer \(bearer)") }
    guard let response = try? await HTTPClient.shared.execute(request, timeout: .seconds(10)),
        let body = try? await response.body.collect(upTo: 1 << 20)
    else { return nil }
    return (Int(response.status.code), String(buffer: body))
}

/// The exit status of a program run to completion (output discarded); -1 if it cannot run.
func exitStatus(_ executable: String, _ arguments: [String]) -> Int32 {
    (try? runProgram(executable, arguments).status) ?? -1
}
