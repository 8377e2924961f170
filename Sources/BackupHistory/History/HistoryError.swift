import CSQLite
import Glibc

/// Why the run history could not be opened, read or written.
public enum HistoryError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The state directory is missing and could not be created.
    case cannotCreateDirectory(path: String, reason: String)
    /// The state directory exists but this process cannot create files in it.
    case directoryNotWritable(path: String)
    /// The database file could not be created or opened with mode 0600.
    case cannotCreateFile(path: String, reason: String)
    /// A read-only open found no database file.
    case missingDatabase(path: String)
    /// The file was written by a newer backupd whose schema this version does not know.
    case schemaTooNew(path: String, found: Int, supported: Int)
    /// A read-only open found a schema older than this version's, which only a writer can migrate.
    case schemaTooOld(path: String, found: Int, supported: Int)
    /// SQLite refused an operation.
    case sqlite(path: String, operation: String, code: Int32, message: String)
    /// The file system holding the database has no space left (SQLITE_FULL, or ENOSPC under an I/O error).
    case diskFull(path: String, operation: String)
    /// The file system holding the database is mounted read-only (EROFS).
    case readOnlyFileSystem(path: String, operation: String)
    /// No run with this id.
    case unknownRun(id: Int64)
    /// The run is not running any more (already finished or marked interrupted).
    case runNotRunning(id: Int64, status: RunStatus)
    /// `backupd ack` named a backup the history does not hold as suspicious and unacknowledged.
    case notSuspicious(job: String, backupID: String, suspicious: [String])
    /// The file this process opened is no longer the one at its path (unlinked or replaced).
    case fileReplaced(path: String, operation: String, detail: String)

    /// What failed, on which file, and what to do about it.
    public var description: String {
        switch self {
        case .cannotCreateDirectory(let path, let reason):
            return "cannot create the state directory \(path): \(reason); create it, owned by the user backupd runs as "
                + "(systemd: StateDirectory=backupd)"
        case .directoryNotWritable(let path):
            return "the state directory \(path) is not writable by this user; fix its ownership or permissions "
                + "(systemd: StateDirectory=backupd gives the service user its own directory)"
        case .cannotCreateFile(let path, let reason):
            return "cannot create the history database \(path): \(reason); check the directory's ownership and free space"
        case .missingDatabase(let path):
            return "no history database at \(path) yet; it is created when `backupd run` starts (check --config "
                + "and the state directory)"
        case .schemaTooNew(let path, let found, let supported):
            return "the history database \(path) has schema version \(found), written by a newer backupd; this version "
                + "knows up to \(supported). Upgrade backupd (or move the file aside to start a new history)"
        case .schemaTooOld(let path, let found, let supported):
            return "the history database \(path) has schema version \(found), older than this backupd's \(supported); "
                + "start `backupd run` once (or open it read-write) to migrate it"
        case .sqlite(let path, let operation, let code, let message):
            return "history database \(path): cannot \(operation): \(message) (SQLite code \(code)). "
                + Self.advice(code & 0xff)
        case .diskFull(let path, let operation):
            let (directory, file) = Self.split(path)
            return "no space left on \(directory) (\(file)): cannot \(operation); free some space on the file system "
                + "holding \(directory) (or point stateDirectory elsewhere): backupd records every run there"
        case .readOnlyFileSystem(let path, let operation):
            let (directory, file) = Self.split(path)
            return "\(directory) (\(file)) is on a read-only file system: cannot \(operation); remount it read-write "
                + "or point stateDirectory at a writable directory"
        case .unknownRun(let id):
            return "no run with id \(id) in the history"
        case .runNotRunning(let id, let status):
            return "run \(id) is already \(status.rawValue) in the history, so it cannot be updated as running"
        case .notSuspicious(let job, let backupID, let suspicious):
            return "job \(job) has no unacknowledged suspicious backup \(backupID) in the history; "
                + (suspicious.isEmpty
                    ? "it has none (see `backupd history \(job)`)"
                    : "its unacknowledged suspicious backups are: \(suspicious.joined(separator: ", "))")
        case .fileReplaced(let path, let operation, let detail):
            return "cannot \(operation): the history database \(path) \(detail) while backupd had it open, so nothing "
                + "written now would be kept; no run is taken until it is back: restart backupd (systemctl restart backupd) "
                + "to open the file now at that path (a new, empty history if there is none)"
        }
    }

    /// What a user can do about a SQLite primary result code.
    private static func advice(_ primary: Int32) -> String {
        switch primary {
        case SQLITE_BUSY, SQLITE_LOCKED:
            return "Another process held the database lock too long; look for a stuck `sqlite3` session or a second daemon."
        case SQLITE_READONLY, SQLITE_PERM, SQLITE_CANTOPEN, SQLITE_AUTH:
            return "Check that the file, its -wal and -shm files and their directory belong to the user backupd runs as."
        case SQLITE_CORRUPT, SQLITE_NOTADB:
            return "The file is damaged or is not a backupd history; move it aside (backups in the buckets are not "
                + "affected) and backupd starts a new history."
        case SQLITE_FULL:
            return "The disk holding the state directory is full; free space."
        case SQLITE_IOERR:
            return "The disk or filesystem reported an I/O error; check the system log."
        default:
            return "Please report this with the message above."
        }
    }
}

extension HistoryError {
    /// Wraps a SQLite failure with what was being attempted; a full or read-only file system is
    /// named as such, whichever code SQLite reported it with.
    init(_ error: SQLiteError, path: String, operation: String) {
        self = Self.storageProblem(path: path, operation: operation, errno: error.systemErrno, code: error.code)
            ?? .sqlite(path: path, operation: operation, code: error.code, message: error.message)
    }

    /// `.diskFull` or `.readOnlyFileSystem` when `errno`, the SQLite `code` or the file system
    /// holding `path` says so, else nil.
    static func storageProblem(path: String, operation: String, errno: Int32, code: Int32 = SQLITE_OK) -> HistoryError? {
        if errno == ENOSPC || errno == EDQUOT || code & 0xff == SQLITE_FULL { return .diskFull(path: path, operation: operation) }
        if errno == EROFS { return .readOnlyFileSystem(path: path, operation: operation) }
        // SQLite reports some of these without an errno (a read-only fallback open, a failed shm map).
        let primary = code & 0xff
        guard [SQLITE_READONLY, SQLITE_IOERR, SQLITE_CANTOPEN].contains(primary) else { return nil }
        var info = statvfs()
        guard statvfs(split(path).directory, &info) == 0 else { return nil }
        if info.f_flag & UInt(ST_RDONLY) != 0 { return .readOnlyFileSystem(path: path, operation: operation) }
        if primary == SQLITE_IOERR && info.f_bavail == 0 { return .diskFull(path: path, operation: operation) }
        return nil
    }

    /// Whether the file system is full or read-only (rather than SQLite or the file misbehaving).
    var isStorageProblem: Bool {
        switch self {
        case .diskFull, .readOnlyFileSystem: return true
        default: return false
        }
    }

    /// The directory and file name of `path`.
    static func split(_ path: String) -> (directory: String, file: String) {
        guard let slash = path.lastIndex(of: "/") else { return (".", path) }
        let directory = String(path[..<slash])
        return (directory.isEmpty ? "/" : directory, String(path[path.index(after: slash)...]))
    }
}
