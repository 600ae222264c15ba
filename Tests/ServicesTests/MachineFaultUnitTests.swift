import Foundation
import Supervision
import Testing

@testable import Services

/// The pure parts of the machine-fault handling (issue 13): the state disk's verdict from
/// `statvfs` and the poller's backoff against an unreachable remote.
@Suite struct MachineFaultUnitTests {
    @Test func stateDiskVerdicts() {
        let ok = StateDiskCheck(path: "/opt/stevedore", readOnly: false, freeBytes: 5 << 30, totalBytes: 16 << 30)
        #expect(ok.problem == nil)
        let readOnly = StateDiskCheck(path: "/opt/stevedore", readOnly: true, freeBytes: 5 << 30, totalBytes: 16 << 30)
        #expect(readOnly.problem?.hasPrefix("state filesystem read-only: /opt/stevedore (EROFS)") == true)
        let full = StateDiskCheck(path: "/opt/stevedore", readOnly: false, freeBytes: 12 << 10, totalBytes: 16 << 30)
        #expect(full.problem?.hasPrefix("state disk full: /opt/stevedore (ENOSPC: 12 KiB free of 16 GiB, less than 1 MiB)") == true)
        // A pseudo filesystem reports zero blocks: never "full".
        #expect(StateDiskCheck(path: "/proc", readOnly: false, freeBytes: 0, totalBytes: 0).problem == nil)
        #expect(StateDiskCheck.measure("/")?.totalBytes ?? 0 > 0)
        #expect(StateDiskCheck.measure("/nonexistent-\(Int.random(in: 0...1_000_000))") == nil)
    }

    @Test func readOnlyMountsAreFoundInMountInfo() {
        // proc(5): ID PARENT MAJ:MIN ROOT POINT OPTIONS [OPTIONAL…] - TYPE SOURCE SUPER-OPTIONS
        let info = #"""
            22 1 254:0 / / rw,relatime shared:1 - ext4 /dev/vda rw
            40 22 7:0 / /opt/stevedore rw,relatime shared:9 - ext4 /dev/loop0 rw,errors=remount-ro,emergency_ro
            41 22 0:50 / /srv/state rw,relatime - tmpfs tmpfs rw,size=32768k
            42 41 0:50 / /srv/state/ro\040view ro,relatime - tmpfs tmpfs rw,size=32768k
            """#
        #expect(StateDiskCheck.readOnlyInMountInfo("/opt/stevedore", mountInfo: info))
        #expect(StateDiskCheck.readOnlyInMountInfo("/opt/stevedore/system", mountInfo: info))
        #expect(!StateDiskCheck.readOnlyInMountInfo("/opt/stevedore-other", mountInfo: info))
        #expect(!StateDiskCheck.readOnlyInMountInfo("/srv/state", mountInfo: info))
        #expect(StateDiskCheck.readOnlyInMountInfo("/srv/state/ro view/db", mountInfo: info))
        #expect(!StateDiskCheck.readOnlyInMountInfo("/home", mountInfo: info))
    }

    @Test func aReadWritePathUnderProtectSystemStrictIsWritable() {
        // The daemon's own mountinfo under the hardened unit in the systemd test (CI, stop 21):
        // `/` and the container's bind mount read-only, the state root bound again read-write
        // by `ReadWritePaths=`, listed after its parent.
        let info = #"""
            298 256 0:60 / / ro,nosuid,relatime shared:38 master:12 - overlay overlay rw,lowerdir=/l/A:/l/B,upperdir=/o/diff,workdir=/o/work
            327 298 0:69 / /run rw,nosuid,nodev,noexec,relatime shared:86 - tmpfs tmpfs rw
            334 298 254:0 /var/lib/stevedore-systemd-e2e /var/lib/stevedore-systemd-e2e ro,nosuid,relatime shared:97 - ext4 /dev/vda rw,discard,resv_strict,resuid=65534,resgid=65534
            299 298 0:81 / /proc rw,nosuid,nodev,noexec,relatime shared:107 - proc proc rw,hidepid=invisible,subset=pid
            308 334 254:0 /var/lib/stevedore-systemd-e2e/root /var/lib/stevedore-systemd-e2e/root rw,nosuid,relatime shared:98 - ext4 /dev/vda rw,discard,resv_strict,resuid=65534,resgid=65534
            309 298 0:60 /var/tmp/systemd-private-x/tmp /var/tmp rw,nosuid,relatime shared:109 master:12 - overlay overlay rw,lowerdir=/l/A
            """#
        #expect(!StateDiskCheck.readOnlyInMountInfo("/var/lib/stevedore-systemd-e2e/root", mountInfo: info))
        #expect(!StateDiskCheck.readOnlyInMountInfo("/var/lib/stevedore-systemd-e2e/root/system", mountInfo: info))
        #expect(StateDiskCheck.readOnlyInMountInfo("/var/lib/stevedore-systemd-e2e", mountInfo: info))
        #expect(StateDiskCheck.readOnlyInMountInfo("/etc", mountInfo: info))
    }

    /// `/proc/self/mountinfo` read whole: on a host with containers it is more than a page
    /// (6,912 bytes here), and Foundation's readers stopped after the first page, which hid the
    /// state root's read-write mount under the hardened unit (CI, stop 21).
    @Test func mountInfoIsReadPastItsFirstPage() throws {
        let cat = Process()
        cat.executableURL = URL(fileURLWithPath: "/bin/cat")
        cat.arguments = ["/proc/self/mountinfo"]  // cat's own: the same mount namespace
        let pipe = Pipe()
        cat.standardOutput = pipe
        let before = try #require(ProcFile.readToEnd("/proc/self/mountinfo"))
        try cat.run()
        let byCat = pipe.fileHandleForReading.readDataToEndOfFile()
        cat.waitUntilExit()
        let after = try #require(ProcFile.readToEnd("/proc/self/mountinfo"))
        // Mounts made meanwhile by another test would change the text: compare when stable.
        if before == after {
            #expect(before == Array(byCat), "read \(before.count) bytes, cat read \(byCat.count)")
        }
        #expect(before.last == UInt8(ascii: "\n"))
        #expect(ProcFile.readToEnd("/nonexistent-\(Int.random(in: 0...1_000_000))") == nil)
    }

    @Test func pollerBacksOffPastItsIntervalUpToTheCap() {
        let waits = (0...8).map { PollerWorker.retryDelay(failures: $0, interval: 10, maximum: 300) }
        #expect(waits == [10, 5, 10, 20, 40, 80, 160, 300, 300])
        // A long poll interval is never shortened by the cap, nor exceeded.
        #expect((1...12).map { PollerWorker.retryDelay(failures: $0, interval: 3600, maximum: 300) }.max() == 3600)
        #expect(PollerWorker.retryDelay(failures: 1_000, interval: 60, maximum: 300) == 300)
    }
}
