import CLinux
import Foundation
import Synchronization
import Glibc

/// Where the secrets handed to a child process live (a PostgreSQL passfile, a MySQL option file,
/// a mongodump config). Each is an anonymous in-memory file (`memfd_create`, mode 0600) that the
/// child inherits as descriptor 3, 4, … (`descriptors`, in order) and opens as `/proc/self/fd/N`:
/// it has no name on any file system and the kernel frees it with its last descriptor, so not even
/// a SIGKILL leaves a password behind. Only where memfd or /proc is missing does a secret go to a
/// 0600 file in a private, locked 0700 directory `backupd-secrets-*`, which `remove()` deletes and
/// the next start sweeps (`removeStale(in:)`). Call `remove()` as soon as the children have ended.
public final class SecretDirectory: Sendable {
    /// The name every fallback directory starts with.
    public static let directoryPrefix = "backupd-secrets-"

    /// The fallback directory (nil while every secret is in memory).
    public var path: String? { state.withLock { $0.directory?.path } }
    /// What a child given these secrets must inherit, in order: it sees them as descriptors 3, 4, …
    public var descriptors: [Int32] { state.withLock { $0.memoryFiles } }
    /// Whether secrets are kept in memory files (else in the fallback directory).
    public let inMemory: Bool

    private let state = Mutex(State())

    /// The secrets made so far.
    private struct State {
        var counter = 0
        var memoryFiles: [Int32] = []
        var directory: (path: String, fd: Int32)?
    }

    /// Secrets in memory files when this system has them (`inMemory`), else in a fresh directory
    /// under `parent` (default: `$XDG_RUNTIME_DIR`, `/dev/shm` when writable, else the temporary
    /// directory), created now so that a parent that does not work fails before any tool starts.
    public init(parent: String? = nil, inMemory: Bool = SecretDirectory.memoryFilesWork) throws {
        self.inMemory = inMemory
        guard !inMemory else { return }
        let directory: (path: String, fd: Int32)
        let base = parent ?? Self.defaultParent()
        var template = Array("\(base)/\(Self.directoryPrefix)XXXXXX".utf8CString)
        let created = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        guard created != nil else { throw SecretDirectoryError.cannotCreate(parent: base, errno: errno) }
        let path = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        chmod(path, 0o700)
        // Held while in use: the sweep at the next start removes only directories nobody holds.
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW)
        if fd >= 0 { flock(fd, LOCK_EX | LOCK_NB) }
        directory = (path, fd)
        state.withLock { $0.directory = directory }
    }

    deinit { remove() }

    /// Whether this system gives a child a memory file as `/proc/self/fd/N` (memfd_create exists and
    /// is allowed, and /proc is mounted); checked once.
    public static let memoryFilesWork: Bool = {
        let fd = bd_memfd_secret("backupd-probe")
        guard fd >= 0 else { return false }
        defer { close(fd) }
        return access("/proc/self/fd/\(fd)", R_OK) == 0
    }()

    static func defaultParent() -> String {
        let environment = ProcessInfo.processInfo.environment
        if let runtime = environment["XDG_RUNTIME_DIR"], !runtime.isEmpty, access(runtime, W_OK) == 0 { return runtime }
        if access("/dev/shm", W_OK) == 0 { return "/dev/shm" }
        return environment["TMPDIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
    }

    /// Stores `contents` as a new 0600 secret named after `name`; returns the path the child opens
    /// (`/proc/self/fd/N` for a memory file). Never put the path of one child's secrets in another's.
    public func write(_ name: String, contents: String) throws -> String {
        let bytes = Array(contents.utf8)
        guard inMemory else { return try writeFile(name, bytes) }
        let fd = bd_memfd_secret("backupd-\(name)")
        guard fd >= 0 else { throw SecretDirectoryError.cannotCreateInMemory(name: name, errno: errno) }
        // A memory file starts 0777; libpq refuses a passfile that group or others may read.
        guard fchmod(fd, 0o600) == 0, Self.writeAll(fd, bytes) else {
            let code = errno
            close(fd)
            throw SecretDirectoryError.cannotCreateInMemory(name: name, errno: code)
        }
        let index = state.withLock { state -> Int in
            state.memoryFiles.append(fd)
            return state.memoryFiles.count
        }
        return "/proc/self/fd/\(2 + index)"
    }

    private func writeFile(_ name: String, _ bytes: [UInt8]) throws -> String {
        let (index, base) = state.withLock { state -> (Int, String?) in
            state.counter += 1
            return (state.counter, state.directory?.path)
        }
        guard let base else { throw SecretDirectoryError.cannotWrite(path: name, errno: ENOENT) }
        let file = "\(base)/\(index)-\(name)"
        let fd = open(file, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard fd >= 0 else { throw SecretDirectoryError.cannotWrite(path: file, errno: errno) }
        defer { close(fd) }
        guard Self.writeAll(fd, bytes) else { throw SecretDirectoryError.cannotWrite(path: file, errno: errno) }
        return file
    }

    private static func writeAll(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + offset, bytes.count - offset) }
            if n < 0 {
                if errno == EINTR { continue }
                return false
            }
            offset += n
        }
        return true
    }

    /// Frees every secret: closes the memory files and deletes the fallback directory (safe to
    /// call more than once).
    public func remove() {
        let (files, directory) = state.withLock { state -> ([Int32], (path: String, fd: Int32)?) in
            defer {
                state.memoryFiles = []
                state.directory = nil
            }
            return (state.memoryFiles, state.directory)
        }
        for fd in files { close(fd) }
        if let directory {
            try? FileManager.default.removeItem(atPath: directory.path)
            if directory.fd >= 0 { close(directory.fd) }
        }
    }
}
