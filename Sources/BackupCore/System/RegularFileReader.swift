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
        let fd = try open(path, limit: limit)
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        // One byte past the limit tells a file at the limit from one that grew beyond it.
        while bytes.count <= limit {
            let wanted = min(chunk.count, limit + 1 - bytes.count)
            let count = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, wanted) }
            if count < 0 {
                let code = errno
                if code == EINTR { continue }
                // O_NONBLOCK stays set: a "regular" file that has nothing to give yet (a procfs
                // stream, a FUSE pipe) fails here instead of blocking.
                if code == EAGAIN || code == EWOULDBLOCK { throw .wouldBlock(path: path) }
                throw .system(path: path, errno: code)
            }
            if count == 0 { break }
            bytes.append(contentsOf: chunk[..<count])
        }
        guard bytes.count <= limit else { throw .tooLarge(path: path, limit: limit) }
        return bytes
    }

    /// Checks that `path` is a readable regular file of at most `limit` bytes without reading it
    /// (for files another library reads later, such as a `caFile`).
    public static func check(_ path: String, limit: Int) throws(FileReadError) {
        close(try open(path, limit: limit))
    }

    /// An open descriptor of the regular file at `path`, whose size is at most `limit`.
    private static func open(_ path: String, limit: Int) throws(FileReadError) -> Int32 {
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
        return fd
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
