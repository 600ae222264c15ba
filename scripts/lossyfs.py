#!/usr/bin/python3
"""lossyfs: a FUSE filesystem that forgets, at a "power cut", every write not made durable.

    lossyfs.py BACKING MOUNTPOINT

Every operation goes through to BACKING at once (the live view is an ordinary filesystem), and
beside it lossyfs keeps what a disk would still hold after a power cut, under the strictest
reading of POSIX (fsync(2): the directory entry needs an fsync of the directory too):
  - a file's data is durable only as of its last fsync/fdatasync (a file never synced is empty);
  - a directory's entries (creations, renames, links, unlinks in it) only as of its last fsync;
  - what BACKING held at mount is durable.
A cut does not disturb the live filesystem: a test writes a directory path to
MOUNTPOINT/.lossyfs-cut (itself never part of an image) and closes it; before close(2) returns
(the FUSE flush), lossyfs has written there the tree a power cut would leave. Used by the Swift
tests of Stevedore's durability (Tests/EndToEndTests/LostWritesTests.swift); Debian's
python3-fusepy (scripts/setup.sh installs it).
"""

import errno
import os
import sys
import threading

try:
    import fusepy as fuse  # Debian's name
except ImportError:  # PyPI's
    import fuse

CONTROL = ".lossyfs-cut"


class Lossy(fuse.Operations):
    use_ns = True  # utimens gets nanoseconds

    def __init__(self, backing):
        self.backing = os.path.realpath(backing)
        self.mutex = threading.RLock()
        self.next_id = 1
        self.ids = {}  # live path ("/a/b") -> node id
        self.kind = {}  # node id -> "file" | "dir" | "link"
        self.data = {}  # node id -> durable bytes (files), link target (links)
        self.entries = {}  # node id (dir) -> {name: node id}, durable
        self.written = set()  # image targets already written (see flush)
        root = self._assign("/", "dir")
        for dirpath, dirnames, filenames in os.walk(self.backing):
            rel = "/" + os.path.relpath(dirpath, self.backing) if dirpath != self.backing else "/"
            for name in dirnames + filenames:
                path = os.path.join(rel, name)
                full = self._full(path)
                if os.path.islink(full):
                    self.data[self._assign(path, "link")] = os.readlink(full)
                elif os.path.isdir(full):
                    self._assign(path, "dir")
                else:
                    with open(full, "rb") as f:
                        self.data[self._assign(path, "file")] = f.read()
            self._snapshot_dir(rel)
        assert root == 1

    # Bookkeeping.

    def _full(self, path):
        return os.path.join(self.backing, path.lstrip("/"))

    def _assign(self, path, kind):
        node = self.next_id
        self.next_id += 1
        self.ids[path] = node
        self.kind[node] = kind
        if kind == "dir":
            self.entries.setdefault(node, {})
        return node

    def _snapshot_dir(self, path):
        node = self.ids.get(path)
        if node is None:
            return
        prefix = path.rstrip("/") + "/"
        self.entries[node] = {
            p[len(prefix):]: n
            for p, n in self.ids.items()
            if p.startswith(prefix) and "/" not in p[len(prefix):] and p != path and not p[len(prefix):].startswith(CONTROL)
        }

    def _snapshot_file(self, path):
        node = self.ids.get(path)
        if node is None or self.kind[node] != "file":
            return
        with open(self._full(path), "rb") as f:
            self.data[node] = f.read()

    def _forget(self, path):
        prefix = path.rstrip("/") + "/"
        for p in [p for p in self.ids if p == path or p.startswith(prefix)]:
            del self.ids[p]

    def write_image(self, target):
        """The tree a power cut would leave, written under `target`."""
        with self.mutex:
            def emit(node, dest):
                for name, child in self.entries.get(node, {}).items():
                    out = os.path.join(dest, name)
                    kind = self.kind[child]
                    if kind == "dir":
                        os.mkdir(out)
                        emit(child, out)
                    elif kind == "link":
                        os.symlink(self.data.get(child, ""), out)
                    else:
                        with open(out, "wb") as f:
                            f.write(self.data.get(child, b""))
            os.makedirs(target, exist_ok=True)
            emit(1, target)

    # Operations (passthrough, recording what becomes durable).

    def access(self, path, mode):
        if not os.access(self._full(path), mode):
            raise fuse.FuseOSError(errno.EACCES)

    def getattr(self, path, fh=None):
        st = os.lstat(self._full(path))
        return {key: getattr(st, key) for key in (
            "st_atime", "st_ctime", "st_gid", "st_mode", "st_mtime", "st_nlink", "st_size", "st_uid", "st_ino")}

    def readdir(self, path, fh):
        return [".", ".."] + os.listdir(self._full(path))

    def readlink(self, path):
        return os.readlink(self._full(path))

    def statfs(self, path):
        sv = os.statvfs(self._full(path))
        return {key: getattr(sv, key) for key in (
            "f_bavail", "f_bfree", "f_blocks", "f_bsize", "f_favail", "f_ffree", "f_files", "f_flag", "f_frsize", "f_namemax")}

    def chmod(self, path, mode):
        os.chmod(self._full(path), mode)

    def chown(self, path, uid, gid):
        os.chown(self._full(path), uid, gid)

    def utimens(self, path, times=None):
        if times is None:
            os.utime(self._full(path))
        else:
            os.utime(self._full(path), ns=times)

    def mkdir(self, path, mode):
        with self.mutex:
            os.mkdir(self._full(path), mode)
            self._assign(path, "dir")

    def rmdir(self, path):
        with self.mutex:
            os.rmdir(self._full(path))
            self._forget(path)

    def symlink(self, name, target):
        with self.mutex:
            os.symlink(target, self._full(name))
            self.data[self._assign(name, "link")] = target

    def link(self, target, name):
        with self.mutex:
            os.link(self._full(name), self._full(target))
            self.ids[target] = self.ids[name]

    def unlink(self, path):
        with self.mutex:
            os.unlink(self._full(path))
            self._forget(path)

    def rename(self, old, new):
        with self.mutex:
            os.rename(self._full(old), self._full(new))
            moved = {p: n for p, n in self.ids.items() if p == old or p.startswith(old.rstrip("/") + "/")}
            self._forget(new)
            for p in moved:
                del self.ids[p]
            for p, n in moved.items():
                self.ids[new + p[len(old):]] = n

    def open(self, path, flags):
        return os.open(self._full(path), flags)

    def create(self, path, mode, fi=None):
        with self.mutex:
            fd = os.open(self._full(path), os.O_RDWR | os.O_CREAT, mode)
            if path not in self.ids:
                self._assign(path, "file")
            return fd

    def read(self, path, length, offset, fh):
        return os.pread(fh, length, offset)

    def write(self, path, data, offset, fh):
        return os.pwrite(fh, data, offset)

    def truncate(self, path, length, fh=None):
        with open(self._full(path), "r+b") as f:
            f.truncate(length)

    def flush(self, path, fh):
        # FUSE sends a flush at every close(2) of a descriptor of the file, also of a copy a
        # child process inherited (a fork in another thread of the test process, between its
        # open and close of the control file) when that child closes it or exits, later. So an
        # image is written once per target: written again, it truncated files the test had
        # open and mapped (a database's -shm: SIGBUS in the test process, CI stop 21).
        if path == "/" + CONTROL:
            with open(self._full(path)) as f:
                target = f.read().strip()
            with self.mutex:
                if target and target not in self.written:
                    self.written.add(target)
                    self.write_image(target)
        return 0

    def release(self, path, fh):
        os.close(fh)

    def fsync(self, path, datasync, fh):
        with self.mutex:
            os.fsync(fh)
            self._snapshot_file(path)

    def fsyncdir(self, path, datasync, fh):
        with self.mutex:
            self._snapshot_dir(path)


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: lossyfs.py BACKING MOUNTPOINT")
    backing, mountpoint = sys.argv[1], sys.argv[2]
    fuse.FUSE(Lossy(backing), mountpoint, foreground=True, nothreads=True, allow_other=True, default_permissions=True)


if __name__ == "__main__":
    main()
