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

    @Test func pollerBacksOffPastItsIntervalUpToTheCap() {
        let waits = (0...8).map { PollerWorker.retryDelay(failures: $0, interval: 10, maximum: 300) }
        #expect(waits == [10, 5, 10, 20, 40, 80, 160, 300, 300])
        // A long poll interval is never shortened by the cap, nor exceeded.
        #expect((1...12).map { PollerWorker.retryDelay(failures: $0, interval: 3600, maximum: 300) }.max() == 3600)
        #expect(PollerWorker.retryDelay(failures: 1_000, interval: 60, maximum: 300) == 300)
    }
}
