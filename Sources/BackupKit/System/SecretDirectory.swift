import Foundation
import Glibc

/// A private 0700 directory for files that carry secrets to a child process (a MySQL option
/// file, a PostgreSQL passfile, a mongodump config), each written 0600. `remove()` deletes it;
/// call it as soon as the child has ended.
public final class SecretDirectory: @unchecked Sendable {
    /// The directory's path.
    public let path: String
    private var counter = 0
    private let lock = NSLock()

    /// Creates a fresh directory under `parent` (default: `$XDG_RUNTIME_DIR`, `/dev/shm` when it
    /// is writable, else the temporary directory) so that secrets preferably never reach a disk.
    public init(parent: String? = nil) throws {
        let base = parent ?? Self.defaultParent()
        var template = Array("\(base)/backupd-secrets-XXXXXX".utf8CString)
        let created = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        guard created != nil else { throw SecretDirectoryError.cannotCreate(parent: base, errno: errno) }
        path = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        chmod(path, 0o700)
    }

    deinit { remove() }

    static func defaultParent() -> String {
        let environment = ProcessInfo.processInfo.environment
        if let runtime = environment["XDG_RUNTIME_DIR"], !runtime.isEmpty, access(runtime, W_OK) == 0 { return runtime }
        if access("/dev/shm", W_OK) == 0 { return "/dev/shm" }
        return environment["TMPDIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
    }

    /// Writes `contents` to a new 0600 file named after `name` in the directory; returns its path.
    public func write(_ name: String, contents: String) throws -> String {
        let index = lock.withLock { () -> Int in
            counter += 1
            return counter
        }
        let file = "\(path)/\(index)-\(name)"
        let fd = open(file, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard fd >= 0 else { throw SecretDirectoryError.cannotWrite(path: file, errno: errno) }
        defer { close(fd) }
        let bytes = Array(contents.utf8)
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + offset, bytes.count - offset) }
            if n < 0 {
                if errno == EINTR { continue }
                throw SecretDirectoryError.cannotWrite(path: file, errno: errno)
            }
            offset += n
        }
        return file
    }

    /// Deletes the directory and everything in it (safe to call more than once).
    public func remove() {
        try? FileManager.default.removeItem(atPath: path)
    }
}

/// Why a secret file could not be prepared.
public enum SecretDirectoryError: Error, Sendable, CustomStringConvertible {
    /// mkdtemp failed.
    case cannotCreate(parent: String, errno: Int32)
    /// A file could not be written.
    case cannotWrite(path: String, errno: Int32)

    public var description: String {
        switch self {
        case .cannotCreate(let parent, let code):
            return "cannot create a private directory for credentials in \(parent): \(String(cString: strerror(code))); make it writable or set TMPDIR"
        case .cannotWrite(let path, let code):
            return "cannot write the credentials file \(path): \(String(cString: strerror(code)))"
        }
    }
}
