import Foundation
import Glibc

/// A small tmpfs mounted on a fresh directory (needs root), to fill up or remount read-only.
/// `unmount()` detaches it and removes the directory.
struct TinyFileSystem {
    let path: String

    /// Mounts a tmpfs of `kilobytes` KiB.
    init(kilobytes: Int) throws {
        path = FileManager.default.temporaryDirectory.path + "/backupd-tinyfs-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        guard mount("tmpfs", path, "tmpfs", 0, "size=\(kilobytes)k,mode=0755") == 0 else {
            let reason = String(cString: strerror(errno))
            try? FileManager.default.removeItem(atPath: path)
            throw TestSetupError("cannot mount a tmpfs on \(path) (the disk tests need root): \(reason)")
        }
    }

    /// Writes zeros to `name` until the file system is full.
    func fill(_ name: String = "filler") throws {
        let fd = open(path + "/" + name, O_WRONLY | O_CREAT | O_APPEND, 0o600)
        guard fd >= 0 else { throw TestSetupError("cannot create \(name) on \(path)") }
        defer { close(fd) }
        let block = [UInt8](repeating: 0, count: 512)
        while block.withUnsafeBytes({ write(fd, $0.baseAddress, $0.count) }) > 0 {}
    }

    /// Remounts it read-only (or read-write again).
    /// A read-only remount fails with EBUSY while any process holds a file there open for writing:
    /// a child that another parallel test spawned at the moment this test's history was open may
    /// have inherited its descriptor for the child's short life, so EBUSY is retried for up to 10 s.
    func remount(readOnly: Bool) throws {
        let flags = UInt(MS_REMOUNT) | (readOnly ? UInt(MS_RDONLY) : 0)
        let deadline = Date().addingTimeInterval(10)
        while mount(nil, path, nil, flags, nil) != 0 {
            let error = errno
            guard error == EBUSY, Date() < deadline else {
                throw TestSetupError("cannot remount \(path): \(String(cString: strerror(error)))")
            }
            usleep(100_000)
        }
    }

    /// Unmounts it and removes the mount point.
    func unmount() {
        umount2(path, Int32(MNT_DETACH))
        try? FileManager.default.removeItem(atPath: path)
    }
}
