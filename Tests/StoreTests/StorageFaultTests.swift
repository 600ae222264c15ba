import Foundation
import Testing

@testable import Store

/// A full or read-only state disk (issue 13): refused writes are named as such, recorded in
/// ``StorageFaults``, leave the database intact, and what was refused meanwhile (a run's end)
/// is written by the first write that works again. Uses small mounts of its own (root only).
@Suite(.serialized) struct StorageFaultTests {
    /// A 1 MiB tmpfs at a fresh directory, unmounted at the end.
    final class SmallDisk {
        let path: String
        init() throws {
            path = FileManager.default.temporaryDirectory.appendingPathComponent("stevedore-disk-\(UUID().uuidString.prefix(8))").path
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
            try Self.sh("mount -t tmpfs -o size=1m tmpfs '\(path)'")
        }
        func fill() throws { try Self.sh("dd if=/dev/zero of='\(path)/filler' bs=4k 2>/dev/null; true") }
        func free() throws { try FileManager.default.removeItem(atPath: path + "/filler") }
        deinit {
            _ = try? Self.sh("umount '\(path)' || umount -l '\(path)'")
            try? FileManager.default.removeItem(atPath: path)
        }
        @discardableResult
        static func sh(_ script: String) throws -> Int32 {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/bin/sh")
            process.arguments = ["-c", script]
            try process.run()
            process.waitUntilExit()
            guard process.terminationStatus == 0 else { throw StoreError.io("`\(script)` failed (\(process.terminationStatus))") }
            return process.terminationStatus
        }
    }

    func record(_ name: String) -> DeploymentRecord {
        DeploymentRecord(name: name, url: "/srv/\(name).git", branch: "main", pollIntervalSeconds: 30, createdAt: 1_700_000_000)
    }

    @Test func aFullDiskRefusesWritesAsSuchAndTheRunsEndIsRecordedOnceItHasSpace() async throws {
        let disk = try SmallDisk()
        let key = randomKey()
        let path = disk.path + "/stevedore.db"
        let store = try StateStore(path: path, key: key)
        #expect(try await store.addDeployment(record("app")))
        try await store.setParameter("app", key: "KEPT", value: "committed")
        let run = try await store.startRun("app", triggers: "poll", previousCommit: nil)
        #expect(store.faults.current == nil)

        try disk.fill()
        await #expect(throws: StoreError.diskFull(directory: disk.path)) {
            try await store.setParameter("app", key: "REFUSED", value: String(repeating: "x", count: 100_000))
        }
        await #expect(throws: StoreError.diskFull(directory: disk.path)) {
            try await store.finishRun(run, targetCommit: "abc", outcome: "succeeded", reason: nil)
        }
        #expect(store.faults.current == .diskFull(directory: disk.path))
        #expect(store.faults.refusedWrites >= 2)
        #expect("\(StoreError.diskFull(directory: disk.path))".hasPrefix("state disk full: \(disk.path) (ENOSPC)"))
        await #expect(throws: StoreError.diskFull(directory: disk.path)) { try await store.probeWrite() }
        // Reads go on; the run is still open in the file.
        #expect(try await store.parameters(of: "app") == ["KEPT": "committed"])
        #expect(try await store.runs(of: "app").first?.outcome == nil)

        try disk.free()
        try await store.probeWrite()
        #expect(store.faults.current == nil)
        let ended = try #require(try await store.runs(of: "app").first)
        #expect(ended.outcome == "succeeded" && ended.targetCommit == "abc")
        #expect((ended.endedAt ?? 0) >= ended.startedAt)
        #expect(try await store.parameters(of: "app") == ["KEPT": "committed"])
        let reopened = try Connection(path: path, key: key)
        #expect(try reopened.query("PRAGMA integrity_check").first?.string(0) == "ok")
    }

    /// With the WAL journal a small write can still land on a full disk (in space the log
    /// already holds), so the `store` child's measure decides: while it says almost full
    /// (``StorageFaults/lowSpace``) every commit is refused, explicit transactions and
    /// single statements alike, and nothing of them is stored (the disk-full drill's
    /// `param set` was accepted on a full tmpfs before this).
    @Test func whileTheDiskIsAlmostFullEveryCommitIsRefused() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("stevedore-low-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = try StateStore(path: directory + "/stevedore.db", key: randomKey())
        #expect(try await store.addDeployment(record("app")))
        let run = try await store.startRun("app", triggers: "poll", previousCommit: nil)

        store.faults.setLowSpace(true)
        await #expect(throws: StoreError.diskFull(directory: directory)) {
            try await store.setParameter("app", key: "REFUSED", value: "small")
        }
        await #expect(throws: StoreError.diskFull(directory: directory)) { _ = try await store.setEnabled("app", false) }
        await #expect(throws: StoreError.diskFull(directory: directory)) {
            try await store.finishRun(run, targetCommit: "abc", outcome: "succeeded", reason: nil)
        }
        await #expect(throws: StoreError.diskFull(directory: directory)) { try await store.probeWrite() }
        #expect(store.faults.current == .diskFull(directory: directory))
        #expect(try await store.parameters(of: "app").isEmpty)
        #expect(try await store.runs(of: "app").first?.outcome == nil)

        store.faults.setLowSpace(false)
        try await store.probeWrite()
        #expect(store.faults.current == nil)
        #expect(try await store.runs(of: "app").first?.outcome == "succeeded")
        try await store.setParameter("app", key: "AFTER", value: "stored")
        #expect(try await store.parameters(of: "app") == ["AFTER": "stored"])
    }

    /// Descriptors of this process open on `path` (`/proc/self/fd` links).
    func descriptors(on path: String) -> Int {
        let fm = FileManager.default
        return ((try? fm.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []).filter {
            (try? fm.destinationOfSymbolicLink(atPath: "/proc/self/fd/" + $0)) == path
        }.count
    }

    /// The kernel turns the state filesystem read-only under an open WAL database (ext4
    /// `errors=remount-ro`, its error trigger): the `store` child's looks must not reopen the
    /// same file again and again. They did, and SQLite kept every closed handle's descriptor
    /// (a POSIX lock of another handle on the inode): a fresh-user trial saw 32 → 161
    /// descriptors in 9 minutes, then `EMFILE` killed the API.
    @Test func looksAtAReadOnlyFilesystemDoNotLeakDescriptors() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("stevedore-ro-\(UUID().uuidString.prefix(8))").path
        let image = dir + ".img"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try SmallDisk.sh("truncate -s 16m '\(image)' && mkfs.ext4 -q -F '\(image)' && mount -o loop,errors=remount-ro '\(image)' '\(dir)'")
        defer {
            _ = try? SmallDisk.sh("umount '\(dir)' || umount -l '\(dir)'")
            try? FileManager.default.removeItem(atPath: dir)
            try? FileManager.default.removeItem(atPath: image)
        }
        let path = dir + "/stevedore.db"
        let store = try StateStore(path: path, key: randomKey())
        #expect(try await store.addDeployment(record("app")))
        try SmallDisk.sh("echo 1 > /sys/fs/ext4/$(basename $(findmnt -n -o SOURCE '\(dir)'))/trigger_fs_error")
        await #expect(throws: StoreError.readOnly(directory: dir)) { _ = try await store.setEnabled("app", false) }
        let before = descriptors(on: path)
        for _ in 0..<20 {
            await #expect(throws: StoreError.readOnly(directory: dir)) { try await store.probeWrite() }
            #expect(try await store.reopenIfReplaced() == false, "the same file: nothing to reopen")
        }
        #expect(descriptors(on: path) <= before, "descriptors on the database grew from \(before)")
        #expect(try await store.deployments().map(\.name) == ["app"], "reads go on")
    }

    @Test func aReadOnlyFilesystemRefusesWritesAsSuchAndAReopenOnAWritableMountGoesOn() async throws {
        let disk = try SmallDisk()
        let key = randomKey()
        do {
            let store = try StateStore(path: disk.path + "/stevedore.db", key: key)
            #expect(try await store.addDeployment(record("app")))
        }
        // A read-only view of the same files (a fresh bind mount has no writers, so it can
        // be made read-only at once).
        let view = disk.path + "-ro"
        try FileManager.default.createDirectory(atPath: view, withIntermediateDirectories: true)
        try SmallDisk.sh("mount --bind '\(disk.path)' '\(view)' && mount -o remount,bind,ro '\(view)'")
        defer {
            _ = try? SmallDisk.sh("umount '\(view)'")
            try? FileManager.default.removeItem(atPath: view)
        }
        // A WAL database (what the daemon uses) cannot be opened on a read-only mount once its
        // last connection removed `-shm`: refused as read-only, by name (the daemon keeps the
        // handle it opened while the disk was writable; the end-to-end drill covers that).
        #expect(throws: StoreError.readOnly(directory: view)) { _ = try StateStore(path: view + "/stevedore.db", key: key) }
        // The rest on a rollback-journal file, which a read-only mount can open.
        try SmallDisk.sh("mount -o remount,bind,rw '\(view)'")
        do { _ = try Connection(path: view + "/stevedore.db", key: key).execute("PRAGMA journal_mode = DELETE") }
        try SmallDisk.sh("umount '\(view)' && mount --bind '\(disk.path)' '\(view)' && mount -o remount,bind,ro '\(view)'")
        let store = try StateStore(path: view + "/stevedore.db", key: key)
        #expect(try await store.deployments().map(\.name) == ["app"])
        await #expect(throws: StoreError.readOnly(directory: view)) { try await store.setEnabled("app", false) }
        #expect(store.faults.current == .readOnly(directory: view))
        #expect("\(StoreError.readOnly(directory: view))".hasPrefix("state filesystem read-only: \(view) (EROFS)"))
        await #expect(throws: StoreError.readOnly(directory: view)) { try await store.probeWrite() }
        try await store.reopen()
        await #expect(throws: StoreError.readOnly(directory: view)) { try await store.probeWrite() }
        // Writable again (here: the view remounted read-write), a reopen and a write go through.
        try SmallDisk.sh("mount -o remount,bind,rw '\(view)'")
        try await store.reopen()
        try await store.probeWrite()
        #expect(store.faults.current == nil)
        #expect(try await store.setEnabled("app", false))
    }

    @Test func aReopenNeverCreatesAnEmptyDatabaseInPlaceOfAMissingOne() async throws {
        let dir = TempDir()
        let path = dir.path + "/stevedore.db"
        let store = try StateStore(path: path, key: randomKey())
        #expect(try await store.addDeployment(record("app")))
        try FileManager.default.moveItem(atPath: path, toPath: path + ".away")
        await #expect(throws: StoreError.self) { try await store.reopen() }
        #expect(!FileManager.default.fileExists(atPath: path))
        // The open handle still answers.
        #expect(try await store.deployments().map(\.name) == ["app"])
    }

    @Test func runsEndAtTheirStartPlusTheirMonotonicDurationAndDeliveriesAreKeptByCount() async throws {
        let dir = TempDir()
        let store = try StateStore(path: dir.path + "/stevedore.db", key: randomKey())
        #expect(try await store.addDeployment(record("app")))
        let run = try await store.startRun("app", triggers: "poll", previousCommit: nil)
        try await store.finishRun(run, targetCommit: "abc", outcome: "succeeded", reason: nil)
        let ended = try #require(try await store.runs(of: "app").first)
        #expect((0..<60).contains((ended.endedAt ?? -1) - ended.startedAt))
        for n in 0..<5 { #expect(try await store.recordDelivery("app", id: "d\(n)", retention: 3)) }
        #expect(try await store.recordDelivery("app", id: "d4", retention: 3) == false)
        #expect(try await store.recordDelivery("app", id: "d2", retention: 3) == false)
        #expect(try await store.recordDelivery("app", id: "d0", retention: 3), "the oldest beyond the retention is forgotten")
    }
}
