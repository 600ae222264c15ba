import Foundation

/// A FUSE filesystem (`scripts/lossyfs.py`, Debian's python3-fusepy) that passes everything
/// through but also keeps what a disk would still hold after a power cut: file data as of its
/// last fsync, directory entries as of the directory's last fsync. ``cut()`` writes that image
/// to a new directory without disturbing the live mount, so a test can check what a real
/// power cut would have lost, not only what a SIGKILL keeps (the page cache).
final class LossyFileSystem {
    let dir: String
    /// Where the filesystem is mounted: write here.
    let mount: String
    private let process: Process
    private var images = 0

    init() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("lossyfs-\(UUID().uuidString.prefix(8))").path
        mount = dir + "/mount"
        let backing = dir + "/backing"
        for path in [mount, backing] { try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true) }
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("scripts/lossyfs.py").path
        guard FileManager.default.fileExists(atPath: "/dev/fuse"),
            (try? runProgram("/usr/bin/python3", ["-c", "import fusepy"]))?.status == 0
        else {
            throw HarnessError("lossyfs needs /dev/fuse and Debian's python3-fusepy (scripts/setup.sh installs it)")
        }
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = [script, backing, mount]
        FileManager.default.createFile(atPath: dir + "/lossyfs.log", contents: nil)
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: dir + "/lossyfs.log"))
        process.standardOutput = log
        process.standardError = log
        try process.run()
        // Mounted once the mount point is on another device than its parent.
        let mount = mount
        let dir = dir
        let mounted = {
            var inner = stat()
            var outer = stat()
            return stat(mount, &inner) == 0 && stat(dir, &outer) == 0 && inner.st_dev != outer.st_dev
        }
        // Bounds a broken start only (Python and fusepy start in well under a second).
        var waited = 0
        while !mounted(), process.isRunning, waited < 1200 {
            usleep(50_000)
            waited += 1
        }
        guard mounted() else {
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            throw HarnessError(
                "lossyfs did not mount at \(mount): \((try? String(contentsOfFile: dir + "/lossyfs.log", encoding: .utf8)) ?? "")")
        }
    }

    /// The tree a power cut at this moment would leave (a new directory; the mount goes on).
    func cut() throws -> String {
        images += 1
        let image = dir + "/image-\(images)"
        // lossyfs writes the image when the control file is closed (FUSE flush), before close
        // returns. Opened close-on-exec: a child process spawned meanwhile by another test must
        // not hold a copy whose close (a later flush) would ask for the image again.
        let fd = open(mount + "/.lossyfs-cut", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw HarnessError("cannot open the lossyfs control file: errno \(errno)") }
        let bytes = Array(image.utf8)
        let written = bytes.withUnsafeBytes { Foundation.write(fd, $0.baseAddress, $0.count) }
        close(fd)
        guard written == bytes.count else { throw HarnessError("cannot write the lossyfs control file: errno \(errno)") }
        guard FileManager.default.fileExists(atPath: image) else {
            throw HarnessError("lossyfs wrote no image: \((try? String(contentsOfFile: dir + "/lossyfs.log", encoding: .utf8)) ?? "")")
        }
        return image
    }

    /// Unmounts and removes everything.
    func remove() {
        // The unmount ends lossyfs (SIGTERM may be blocked: it inherits the test thread's mask).
        _ = try? runProgram("/bin/umount", [mount])
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        try? FileManager.default.removeItem(atPath: dir)
    }
}
