// `scripts/bench.sh git` (in-process part): what one in-process check of an unchanged SSH
// remote costs (issue 14). Starts a real sshd on 127.0.0.1 (a free port, or BENCH_SSH_PORT; git-shell forced command,
// `AcceptEnv GIT_PROTOCOL` unless BENCH_PROTOCOL=0; root's ~/.bashrc hidden from sshd's shells
// unless BENCH_KEEP_BASHRC=1, see below) serving a bare repository made with git,
// then runs BENCH_CHECKS (default 100) checks one after the other through one shared
// one-thread event loop group, as the daemon does, after one warm-up check (which trusts the
// host key). Prints median and p99 wall time, this process's own CPU per check (utime +
// stime from getrusage(RUSAGE_SELF), median, p99 and mean) and the sshd side's CPU per check
// (the listener's reaped children, /proc/PID/stat cutime + cstime). Not a test.
import Crypto
import Docker
import Foundation
import NIOPosix

func shell(_ script: String) -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/bin/sh")
    process.arguments = ["-c", script]
    let out = FileManager.default.temporaryDirectory.appendingPathComponent("bench-sh-\(UUID().uuidString)").path
    _ = FileManager.default.createFile(atPath: out, contents: nil)
    defer { try? FileManager.default.removeItem(atPath: out) }
    process.standardOutput = FileHandle(forWritingAtPath: out)
    process.standardInput = FileHandle.nullDevice
    do { try process.run() } catch { fatalError("cannot run sh: \(error)") }
    process.waitUntilExit()
    guard process.terminationStatus == 0 else { fatalError("`\(script)` failed with exit status \(process.terminationStatus)") }
    return ((try? String(contentsOfFile: out, encoding: .utf8)) ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
}

/// A TCP port of 127.0.0.1 that was free a moment ago.
func freePort() -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
    }
    guard bound else { fatalError("no free port on 127.0.0.1") }
    return Int(UInt16(bigEndian: address.sin_port))
}

func cpuMicroseconds() -> Int {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return (Int(usage.ru_utime.tv_sec) + Int(usage.ru_stime.tv_sec)) * 1_000_000 + Int(usage.ru_utime.tv_usec) + Int(usage.ru_stime.tv_usec)
}

/// cutime + cstime of `pid` (its reaped children), in clock ticks.
func childTicks(_ pid: String) -> Int {
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8), let close = stat.lastIndex(of: ")") else {
        return 0
    }
    let fields = stat[stat.index(after: close)...].split(separator: " ")
    // After the command: state is field 3; cutime and cstime are fields 16 and 17.
    guard fields.count > 14 else { return 0 }
    return (Int(fields[13]) ?? 0) + (Int(fields[14]) ?? 0)
}

func percentile(_ sorted: [Double], _ p: Double) -> Double {
    sorted[min(sorted.count - 1, max(0, Int((p * Double(sorted.count)).rounded(.up)) - 1))]
}

let environment = ProcessInfo.processInfo.environment
let checks = max(1, environment["BENCH_CHECKS"].flatMap { Int($0) } ?? 100)
let v2 = environment["BENCH_PROTOCOL"] != "0"
let keepBashrc = environment["BENCH_KEEP_BASHRC"] == "1"
let work = shell("mktemp -d /tmp/stevedore-bench-refs.XXXXXX")
let port = Int(environment["BENCH_SSH_PORT"] ?? "") ?? freePort()
let key = Curve25519.Signing.PrivateKey()
var blob: [UInt8] = []
for part in [Array("ssh-ed25519".utf8), Array(key.publicKey.rawRepresentation)] {
    blob += withUnsafeBytes(of: UInt32(part.count).bigEndian, Array.init) + part
}
let publicKey = "ssh-ed25519 \(Data(blob).base64EncodedString()) bench"
_ = shell(
    """
    set -e
    cd '\(work)'
    export GIT_AUTHOR_NAME=b GIT_AUTHOR_EMAIL=b@example.invalid GIT_COMMITTER_NAME=b GIT_COMMITTER_EMAIL=b@example.invalid
    git init -q -b main src && echo hi > src/f && git -C src add -A && git -C src commit -qm v1
    git init -q --bare -b main remote.git && git -C src push -q "$PWD/remote.git" main
    mkdir -p /run/sshd ssh && ssh-keygen -q -t ed25519 -N '' -f host_key
    echo 'command="exec git-shell -c \\"$SSH_ORIGINAL_COMMAND\\"",restrict \(publicKey)' > authorized_keys
    cat > sshd_config <<CFG
    Port \(port)
    ListenAddress 127.0.0.1
    HostKey $PWD/host_key
    PidFile $PWD/sshd.pid
    AuthorizedKeysFile $PWD/authorized_keys
    StrictModes no
    PasswordAuthentication no
    KbdInteractiveAuthentication no
    PermitRootLogin prohibit-password
    UsePAM no
    \(v2 ? "AcceptEnv GIT_PROTOCOL" : "")
    CFG
    if \(keepBashrc ? "true" : "false") || [ ! -e "$HOME/.bashrc" ]; then
      /usr/sbin/sshd -f "$PWD/sshd_config" -E "$PWD/sshd.log"
    else
      # The login shell of root sources ~/.bashrc for ssh commands (Debian's bash does): here
      # that runs `pyenv init`, about 150 ms of processes per connection that no Git host has.
      # sshd gets a private mount namespace in which the file is empty.
      unshare --mount --propagation private sh -c \
        'mount --bind /dev/null "$HOME/.bashrc" && exec /usr/sbin/sshd -f "$PWD/sshd_config" -E "$PWD/sshd.log"'
    fi
    i=0; while [ ! -s sshd.pid ]; do i=$((i + 1)); [ $i -lt 1000 ] || { cat sshd.log >&2; exit 1; }; sleep 0.01; done
    """)
let sshdPid = shell("cat '\(work)/sshd.pid'")
defer {
    kill(Int32(sshdPid) ?? 0, SIGTERM)
    _ = shell("rm -rf '\(work)'")
}
let expected = shell("git -C '\(work)/remote.git' rev-parse main")
let url = "ssh://root@127.0.0.1:\(port)\(work)/remote.git"
let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
let refs = GitSSHRefs(eventLoopGroup: group)
let seed = Array(key.rawRepresentation)

func check() async throws -> String {
    try await refs.head(
        url: url, branch: "main", deployment: "bench", privateKeySeed: seed, knownHostsPath: work + "/ssh/known_hosts",
        timeout: .seconds(30))
}

do {
    guard try await check() == expected else { fatalError("the warm-up check answered another commit") }
    var walls: [Double] = []
    var cpus: [Double] = []
    let clock = ContinuousClock()
    let sshd0 = childTicks(sshdPid)
    let cpu0 = cpuMicroseconds()
    for _ in 0..<checks {
        let c = cpuMicroseconds()
        let start = clock.now
        let head = try await check()
        let wall = clock.now - start
        cpus.append(Double(cpuMicroseconds() - c) / 1000)
        walls.append(Double(wall.components.seconds) * 1000 + Double(wall.components.attoseconds) / 1e15)
        guard head == expected else { fatalError("a check answered another commit") }
    }
    let cpuTotal = Double(cpuMicroseconds() - cpu0) / 1000
    let sshdTicks = childTicks(sshdPid) - sshd0
    walls.sort()
    cpus.sort()
    let hz = Double(sysconf(Int32(_SC_CLK_TCK)))
    print(
        "in-process SSH check, \(checks) checks of an unchanged remote on loopback, protocol v\(v2 ? 2 : 0), "
            + (keepBashrc ? "root's ~/.bashrc run by sshd:" : "sshd without root's ~/.bashrc:"))
    print(
        String(
            format:
                "  wall median %.2f ms, p99 %.2f ms; own CPU per check median %.2f ms, p99 %.2f ms, mean %.2f ms; sshd side %.1f ms CPU per check",
            percentile(walls, 0.5), percentile(walls, 0.99), percentile(cpus, 0.5), percentile(cpus, 0.99), cpuTotal / Double(checks),
            Double(sshdTicks) / hz * 1000 / Double(checks)))
} catch {
    print("check failed: \(error)")
    exit(1)
}
