import Glibc

/// Why a config or secret file was not read: it is not a regular file, it is too large, or the
/// system refused it. Each case names the path.
public enum FileReadError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What a path turned out to be when it is not a regular file.
    public enum Kind: String, Sendable, Equatable {
        case directory
        case fifo = "FIFO"
        case characterDevice = "character device"
        case blockDevice = "block device"
        case socket
        case unknown = "special file"

        /// The kind of file whose `st_mode` is `mode` (nil for a regular file).
        init?(mode: mode_t) {
            switch mode & S_IFMT {
            case S_IFREG: return nil
            case S_IFDIR: self = .directory
            case S_IFIFO: self = .fifo
            case S_IFCHR: self = .characterDevice
            case S_IFBLK: self = .blockDevice
            case S_IFSOCK: self = .socket
            default: self = .unknown
            }
        }
    }

    /// The path, after following links, is not a regular file; `target` is where links led.
    case notRegular(path: String, kind: Kind, target: String?)
    /// The file holds more than `limit` bytes.
    case tooLarge(path: String, limit: Int)
    /// A read would have waited for data, as on a FIFO; only special files do that.
    case wouldBlock(path: String)
    /// open(2), fstat(2) or read(2) failed with `errno`.
    case system(path: String, errno: Int32)

    /// What is wrong, without the path: `is a FIFO, not a regular file`.
    public var reason: String {
        switch self {
        case .notRegular(_, let kind, let target):
            return "is a \(kind.rawValue)\(target.map { " (\($0))" } ?? ""), not a regular file"
        case .tooLarge(_, let limit):
            return "is larger than \(Self.size(limit))"
        case .wouldBlock:
            return "cannot be read without waiting for data, so it is not a regular file"
        case .system(_, let code):
            return String(cString: strerror(code))
        }
    }

    /// The path the error is about.
    public var path: String {
        switch self {
        case .notRegular(let path, _, _), .tooLarge(let path, _), .wouldBlock(let path), .system(let path, _): return path
        }
    }

    /// Whether the path is something other than a regular file.
    public var isNotRegular: Bool {
        switch self {
        case .notRegular, .wouldBlock: return true
        default: return false
        }
    }

    /// Whether the file is over the limit.
    public var isTooLarge: Bool {
        if case .tooLarge = self { return true }
        return false
    }

    /// `/etc/backupd/config.json is a FIFO, not a regular file`.
    public var description: String {
        if case .system = self { return "\(path): \(reason)" }
        return "\(path) \(reason)"
    }

    /// `16 MiB`, `64 KiB` or a byte count.
    static func size(_ bytes: Int) -> String {
        if bytes >= 1 << 20, bytes % (1 << 20) == 0 { return "\(bytes >> 20) MiB" }
        if bytes >= 1 << 10, bytes % (1 << 10) == 0 { return "\(bytes >> 10) KiB" }
        return "\(bytes) bytes"
    }
}
