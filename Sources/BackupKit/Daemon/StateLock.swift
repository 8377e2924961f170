import BackupCore
import Foundation
import Glibc
import Synchronization

/// The exclusive lock on a state directory, held by the one process that runs backups there: the
/// daemon for its lifetime, or a daemon-less `run-now`. Two `flock`s: on the directory itself,
/// which no `rm backupd.lock` can take away (only replacing the whole directory can, and
/// `check()` sees that), and on `backupd.lock` inside it, which names the holder (`pid role`)
/// so that a refused process can say who has it. The kernel drops both when the holder exits.
public final class StateLock: Sendable {
    /// The lock file's name inside the state directory.
    public static let fileName = "backupd.lock"

    /// What kind of process holds the lock.
    public enum Role: String, Sendable, Equatable {
        /// `backupd run`.
        case daemon
        /// A `backupd run-now` without a daemon.
        case runNow = "run-now"
        /// A daemon whose config now names this state directory but that runs on another until it
        /// is restarted (a reload cannot move it): nothing may run here meanwhile.
        case reserved = "daemon-restart-pending"

        /// How messages name it.
        public var description: String {
            switch self {
            case .daemon: "the backupd daemon"
            case .runNow: "backupd run-now"
            case .reserved: "the backupd daemon, which runs on its previous state directory until it is restarted"
            }
        }
    }

    /// The recorded holder of a lock.
    public struct Holder: Sendable, Equatable {
        /// Its process id.
        public var pid: Int32
        /// What it is.
        public var role: Role
    }

    /// A locked descriptor and the file it had when it was locked.
    struct Locked: Sendable {
        var fd: Int32
        var identity: FileIdentity?
    }

    /// The lock file.
    public let path: String
    /// The state directory.
    public let stateDirectory: String
    /// Who holds it.
    public let role: Role
    let directory: Mutex<Locked>
    let file: Mutex<Locked>

    private init(stateDirectory: String, role: Role, directory: Locked, file: Locked) {
        self.stateDirectory = stateDirectory
        path = Self.path(stateDirectory: stateDirectory)
        self.role = role
        self.directory = Mutex(directory)
        self.file = Mutex(file)
    }

    deinit {
        for fd in [directory.withLock { $0.fd }, file.withLock { $0.fd }] where fd >= 0 { close(fd) }
    }

    /// The lock file of `stateDirectory`.
    public static func path(stateDirectory: String) -> String {
        (stateDirectory.hasSuffix("/") ? String(stateDirectory.dropLast()) : stateDirectory) + "/" + fileName
    }

    /// Takes the lock without waiting, creating the state directory (0700) if needed; throws
    /// `StateLockError.held` naming the holder when another process has it.
    public static func acquire(stateDirectory: String, role: Role) throws -> StateLock {
        let path = path(stateDirectory: stateDirectory)
        if !FileManager.default.fileExists(atPath: stateDirectory) {
            try? FileManager.default.createDirectory(
                atPath: stateDirectory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        }
        let directory = try lockDirectory(stateDirectory, lockPath: path)
        do {
            let file = try lockFile(path, stateDirectory: stateDirectory, role: role)
            return StateLock(stateDirectory: stateDirectory, role: role, directory: directory, file: file)
        } catch {
            if directory.fd >= 0 { close(directory.fd) }
            throw error
        }
    }

    /// Locks the directory itself. A file system that cannot lock a directory (NFS) leaves only the
    /// lock file, as before: fd -1.
    static func lockDirectory(_ stateDirectory: String, lockPath: String) throws -> Locked {
        let fd = open(stateDirectory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw StateLockError.cannotLock(path: stateDirectory, reason: String(cString: strerror(errno))) }
        while flock(fd, LOCK_EX | LOCK_NB) != 0 {
            let error = errno
            if error == EINTR { continue }
            close(fd)
            if error == EWOULDBLOCK { throw StateLockError.held(path: lockPath, holder: holder(stateDirectory: stateDirectory)) }
            return Locked(fd: -1, identity: nil)
        }
        return Locked(fd: fd, identity: FileIdentity(descriptor: fd))
    }

    /// Opens (creating it 0600) and locks the lock file, and writes the holder into it.
    static func lockFile(_ path: String, stateDirectory: String, role: Role) throws -> Locked {
        var fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o600)
        // On a read-only file system an existing lock file still locks (flock needs no write
        // access); what cannot be written is then reported by the history, which names the disk.
        if fd < 0, errno == EROFS {
            fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
            // Nothing can write to a read-only state directory, so no run can conflict: go on
            // unlocked and let the history report the file system.
            if fd < 0, errno == ENOENT { return Locked(fd: -1, identity: nil) }
        }
        guard fd >= 0 else { throw StateLockError.cannotLock(path: path, reason: String(cString: strerror(errno))) }
        while flock(fd, LOCK_EX | LOCK_NB) != 0 {
            let error = errno
            if error == EINTR { continue }
            close(fd)
            if error == EWOULDBLOCK { throw StateLockError.held(path: path, holder: holder(stateDirectory: stateDirectory)) }
            throw StateLockError.cannotLock(path: path, reason: String(cString: strerror(error)))
        }
        // The holder's pid is for messages only: a full or read-only disk leaves it unwritten and
        // the lock held (the history then reports the disk by name).
        let text = Array("\(getpid()) \(role.rawValue)\n".utf8)
        if ftruncate(fd, 0) == 0 { _ = pwrite(fd, text, text.count, 0) }
        return Locked(fd: fd, identity: FileIdentity(descriptor: fd))
    }

    /// Takes the lock, waiting (polling every `interval`) while a run-now holds it; a daemon
    /// holding it is an error at once. `waiting` is told the holder once, when the wait begins.
    public static func acquireWaitingForRunNow(
        stateDirectory: String, interval: Duration = .milliseconds(500), waiting: (Holder) -> Void
    ) async throws -> StateLock {
        var told = false
        while true {
            do {
                return try acquire(stateDirectory: stateDirectory, role: .daemon)
            } catch StateLockError.held(let path, let holder) {
                guard let holder, holder.role == .runNow else { throw StateLockError.held(path: path, holder: holder) }
                if !told {
                    waiting(holder)
                    told = true
                }
                try await Task.sleep(for: interval)
            }
        }
    }

    /// Who the lock file says holds (or last held) the lock.
    public static func holder(stateDirectory: String) -> Holder? {
        guard let data = FileManager.default.contents(atPath: path(stateDirectory: stateDirectory)) else { return nil }
        let words = String(decoding: data, as: UTF8.self).split(whereSeparator: \.isWhitespace)
        guard words.count >= 2, let pid = Int32(words[0]), let role = Role(rawValue: String(words[1])) else { return nil }
        return Holder(pid: pid, role: role)
    }
}
