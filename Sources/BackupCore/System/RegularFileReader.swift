import Glibc

/// Reads config and secret files defensively: only regular files (after following links), never
/// blocking (a FIFO or a device is refused before any read), and never more than a limit.
///
/// The path is checked with stat(2) first, so a device is never even opened (opening some has side
/// effects); the open itself uses O_NONBLOCK and the opened descriptor is checked again with
/// fstat(2), so a file swapped for a FIFO in between cannot make the read hang; reads stay
/// non-blocking too.
public enum RegularFileReader {
    /// The whole file, which must be a regular file of at most `limit` bytes.
    public static func read(_ path: String, limit: Int) throws(FileReadError) -> [UInt8] {
        let (fd, size) = try open(path, limit: limit)
        defer { close(fd) }
        // Read straight into an array of the size fstat gave (a WAL segment is 16 MiB: no growing
        // and copying); one byte past the limit tells a file at the limit from one that grew beyond it.
        let capacity = min(size, limit) + 1
        var bytes = [UInt8](repeating: 0, count: capacity)
        var count = 0
        while true {
            if count == bytes.count {
                guard bytes.count <= limit else { break }
                bytes += [UInt8](repeating: 0, count: min(max(bytes.count, 65536), limit + 1 - bytes.count))
            }
            let n = bytes.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress! + count, $0.count - count) }
            if n < 0 {
                let code = errno
                if code == EINTR { continue }
                // O_NONBLOCK stays set: a "regular" file that has nothing to give yet (a procfs
                // stream, a FUSE pipe) fails here instead of blocking.
                if code == EAGAIN || code == EWOULDBLOCK { throw .wouldBlock(path: path) }
                throw .system(path: path, errno: code)
            }
            if n == 0 { break }
            count += n
        }
        guard count <= limit else { throw .tooLarge(path: path, limit: limit) }
        bytes.removeLast(bytes.count - count)
        return bytes
    }

    /// Checks that `path` is a readable regular file of at most `limit` bytes without reading it
    /// (for files another library reads later, such as a `caFile`).
    public static func check(_ path: String, limit: Int) throws(FileReadError) {
        close(try open(path, limit: limit).fd)
    }

    /// An open descriptor of the regular file at `path` and its size, at most `limit`.
    private static func open(_ path: String, limit: Int) throws(FileReadError) -> (fd: Int32, size: Int) {
        var info = stat()
        guard stat(path, &info) == 0 else { throw .system(path: path, errno: errno) }
        if let kind = FileReadError.Kind(mode: info.st_mode) {
            throw .notRegular(path: path, kind: kind, target: linkTarget(path))
        }
        let fd = Glibc.open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY)
        guard fd >= 0 else { throw .system(path: path, errno: errno) }
        guard fstat(fd, &info) == 0 else {
            let code = errno
            close(fd)
            throw .system(path: path, errno: code)
        }
        if let kind = FileReadError.Kind(mode: info.st_mode) {
            close(fd)
            throw .notRegular(path: path, kind: kind, target: linkTarget(path))
        }
        if info.st_size > limit {
            close(fd)
            throw .tooLarge(path: path, limit: limit)
        }
        return (fd, Int(info.st_size))
    }

    /// Where `path` leads when it is a symbolic link (followed to the end).
    private static func linkTarget(_ path: String) -> String? {
        var info = stat()
        guard lstat(path, &info) == 0, info.st_mode & S_IFMT == S_IFLNK, let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        let target = String(cString: resolved)
        return target == path ? nil : target
    }
}
