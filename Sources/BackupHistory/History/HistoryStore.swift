import BackupCore
import CSQLite
import Foundation
import Glibc
import Synchronization

/// The run history: one SQLite file (WAL mode, mode 0600) in the state directory, a row per run.
///
/// Writers and readers in other processes (`backupd history` while the daemon runs) work at the
/// same time thanks to WAL; one connection per store, serialised by a lock, so a store may be
/// shared across threads. Every method throws `HistoryError`.
public final class HistoryStore: Sendable {
    /// The database file's name inside the state directory.
    public static let fileName = "history.sqlite3"
    /// The most stderr kept per run (its end), in bytes.
    public static let maxStderrTail = 8192

    /// The database file.
    public let path: String
    private let database: Mutex<SQLiteDatabase>
    /// The file a read-write store opened, compared with what `path` names before every use, so a
    /// history unlinked or replaced under a running daemon is an error, not runs written nowhere.
    let openedFile: FileIdentity?

    /// Opens `stateDirectory/history.sqlite3`, creating the directory (0700) and file as needed.
    public convenience init(stateDirectory: String, readOnly: Bool = false) throws {
        let directory = stateDirectory.hasSuffix("/") ? String(stateDirectory.dropLast()) : stateDirectory
        try self.init(path: directory + "/" + Self.fileName, readOnly: readOnly)
    }

    /// Opens the database at `path`. Read-write: creates its directory (0700) and the file (0600)
    /// when missing, switches to WAL and migrates the schema. Read-only: the file must exist with
    /// this version's schema.
    public init(path: String, readOnly: Bool = false, busyTimeout: Duration = .seconds(5)) throws {
        self.path = path
        let timeout = Int32(clamping: busyTimeout.components.seconds * 1000
            + busyTimeout.components.attoseconds / 1_000_000_000_000_000)
        let db: SQLiteDatabase
        if readOnly {
            guard FileManager.default.fileExists(atPath: path) else { throw HistoryError.missingDatabase(path: path) }
            func reader(immutable: Bool) throws -> (SQLiteDatabase, Int) {
                let db = try Self.open(path: path, operation: "open the database read-only") {
                    let db = try SQLiteDatabase(path: path, readOnly: true, create: false, immutable: immutable)
                    db.setBusyTimeout(milliseconds: timeout)
                    return db
                }
                let version = try Self.open(path: path, operation: "read the schema version") {
                    Int(try db.scalarInt("PRAGMA user_version") ?? 0)
                }
                return (db, version)
            }
            let version: Int
            do {
                (db, version) = try reader(immutable: false)
            } catch let error as HistoryError where error.isStorageProblem {
                // A WAL reader creates the -shm file, which a full or read-only file system refuses.
                // Without one no writer has the file open (a writer creates it), so the file as it is
                // holds every committed run: read it immutable.
                (db, version) = try reader(immutable: true)
            }
            if version > Self.schemaVersion {
                throw HistoryError.schemaTooNew(path: path, found: version, supported: Self.schemaVersion)
            }
            if version < Self.schemaVersion {
                throw HistoryError.schemaTooOld(path: path, found: version, supported: Self.schemaVersion)
            }
        } else {
            try Self.prepareDirectory(of: path)
            try Self.createPrivateFile(path)
            db = try Self.open(path: path, operation: "open the database") {
                let db = try SQLiteDatabase(path: path, readOnly: false, create: true)
                db.setBusyTimeout(milliseconds: timeout)
                return db
            }
            let mode = try Self.open(path: path, operation: "switch to WAL mode") {
                try db.scalarText("PRAGMA journal_mode = WAL")
            }
            guard mode?.lowercased() == "wal" else {
                throw HistoryError.sqlite(
                    path: path, operation: "switch to WAL mode", code: SQLITE_ERROR,
                    message: "journal mode stayed \(mode ?? "unknown") (is the filesystem a network share?)")
            }
            // NORMAL is safe with WAL: a power loss may lose the last commits, never corrupt the file.
            try Self.open(path: path, operation: "set synchronous mode") { try db.execute("PRAGMA synchronous = NORMAL") }
            try Self.migrate(db, path: path)
        }
        database = Mutex(db)
        openedFile = readOnly ? nil : FileIdentity(path: path, followingLinks: true)
    }

    // MARK: Reading

    /// Runs matching `query`, newest first (by start time, then id).
    public func runs(_ query: HistoryQuery = HistoryQuery()) throws -> [RunRecord] {
        let (sql, values) = Self.select(query)
        return try withDatabase("read the history") { db in try db.query(sql, values, Self.record) }
    }

    /// The run with this id, if any.
    public func run(id: Int64) throws -> RunRecord? {
        try withDatabase("read run \(id)") { db in
            try db.query("SELECT \(Self.columns) FROM runs WHERE id = ?", [.integer(id)], Self.record).first
        }
    }

    /// The newest run of `job` (with `status` when given).
    public func lastRun(job: String, status: RunStatus? = nil) throws -> RunRecord? {
        try runs(HistoryQuery(job: job, status: status, limit: 1)).first
    }

    /// The newest successful run of `job`.
    public func lastSuccess(job: String) throws -> RunRecord? {
        try lastRun(job: job, status: .succeeded)
    }

    /// The newest run (with `status` when given) of each of `jobs` that has one, read in one
    /// consistent snapshot; one indexed lookup per job (for `backupd status`).
    public func lastRuns(jobs: [String], status: RunStatus? = nil) throws -> [String: RunRecord] {
        try withDatabase("read the last runs") { db in
            try db.transaction(immediate: false) {
                var result: [String: RunRecord] = [:]
                for job in jobs {
                    let (sql, values) = Self.select(HistoryQuery(job: job, status: status, limit: 1))
                    if let run = try db.query(sql, values, Self.record).first { result[job] = run }
                }
                return result
            }
        }
    }

    /// Runs still marked running, oldest first.
    public func runningRuns() throws -> [RunRecord] {
        try withDatabase("read the running runs") { db in
            try db.query("SELECT \(Self.columns) FROM runs WHERE status = 'running' ORDER BY id", [], Self.record)
        }
    }

    /// SQLite's plan for `query` (EXPLAIN QUERY PLAN detail lines), to check index use.
    func queryPlan(_ query: HistoryQuery) throws -> [String] {
        let (sql, values) = Self.select(query)
        return try withDatabase("explain a query") { db in
            try db.query("EXPLAIN QUERY PLAN " + sql, values) { $0.text(3) ?? "" }
        }
    }

    /// Runs raw SQL on the store's connection (tests only: fill, inspect, hold transactions).
    func withRawDatabase<T: Sendable>(_ body: (SQLiteDatabase) throws -> T) throws -> T {
        try withDatabase("run a raw statement", body)
    }

    // MARK: Helpers

    /// Runs `body` on the connection under the lock, turning SQLite failures into `HistoryError`.
    func withDatabase<T: Sendable>(_ operation: String, _ body: (SQLiteDatabase) throws -> T) throws -> T {
        let path = self.path
        if let problem = fileProblem(operation: operation) { throw problem }
        return try database.withLock { db in
            do {
                return try body(db)
            } catch let error as SQLiteError {
                throw HistoryError(error, path: path, operation: operation)
            }
        }
    }

    private static func open<T>(path: String, operation: String, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as SQLiteError {
            throw HistoryError(error, path: path, operation: operation)
        }
    }

    private static func select(_ query: HistoryQuery) -> (String, [SQLiteValue]) {
        var clauses: [String] = []
        var values: [SQLiteValue] = []
        if let job = query.job {
            clauses.append("job = ?")
            values.append(.text(job))
        }
        if let status = query.status {
            clauses.append("status = ?")
            values.append(.text(status.rawValue))
        }
        if let since = query.since {
            clauses.append("started_ms >= ?")
            values.append(.integer(milliseconds(since)))
        }
        let filter = clauses.isEmpty ? "" : " WHERE " + clauses.joined(separator: " AND ")
        values.append(.integer(Int64(query.limit.map { max(0, $0) } ?? -1)))
        return ("SELECT \(columns) FROM runs\(filter) ORDER BY started_ms DESC, id DESC LIMIT ?", values)
    }

    private static func migrate(_ db: SQLiteDatabase, path: String) throws {
        do {
            try db.transaction {
                let found = Int(try db.scalarInt("PRAGMA user_version") ?? 0)
                guard found <= schemaVersion else {
                    throw HistoryError.schemaTooNew(path: path, found: found, supported: schemaVersion)
                }
                for migration in migrations where migration.version > found {
                    try db.execute(migration.sql)
                    try db.execute("PRAGMA user_version = \(migration.version)")
                }
            }
        } catch let error as SQLiteError {
            throw HistoryError(error, path: path, operation: "migrate the schema to version \(schemaVersion)")
        }
    }

    private static func prepareDirectory(of path: String) throws {
        let directory = (path as NSString).deletingLastPathComponent
        guard !directory.isEmpty else { return }
        var isDirectory: ObjCBool = false
        if !FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory) {
            do {
                try FileManager.default.createDirectory(
                    atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            } catch {
                let code = ((error as NSError).userInfo[NSUnderlyingErrorKey] as? NSError).map { Int32($0.code) } ?? 0
                if let problem = HistoryError.storageProblem(path: path, operation: "create the state directory", errno: code) {
                    throw problem
                }
                throw HistoryError.cannotCreateDirectory(path: directory, reason: Self.reason(error))
            }
        } else if !isDirectory.boolValue {
            throw HistoryError.cannotCreateDirectory(path: directory, reason: "a file with that name exists")
        }
        guard access(directory, W_OK | X_OK) == 0 else {
            if let problem = HistoryError.storageProblem(path: path, operation: "write in the state directory", errno: errno) {
                throw problem
            }
            throw HistoryError.directoryNotWritable(path: directory)
        }
    }

    /// Creates the file with mode 0600 before SQLite sees it (SQLite gives its -wal and -shm files
    /// the same mode), and narrows an existing file that is readable by others.
    private static func createPrivateFile(_ path: String) throws {
        // An existing file is never opened here: closing a descriptor of a file drops every POSIX
        // lock this process holds on it, which would silently unlock another connection's
        // SQLite locks (a second store on the same history in one process).
        var existing = stat()
        if lstat(path, &existing) == 0, existing.st_mode & S_IFMT == S_IFREG {
            if existing.st_mode & 0o077 != 0 { _ = chmod(path, 0o600) }
            return
        }
        let fd = Glibc.open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard fd >= 0 else {
            let code = errno
            if let problem = HistoryError.storageProblem(path: path, operation: "open the database for writing", errno: code) {
                throw problem
            }
            throw HistoryError.cannotCreateFile(path: path, reason: String(cString: strerror(code)))
        }
        defer { close(fd) }
        var info = stat()
        if fstat(fd, &info) == 0, info.st_mode & 0o077 != 0 {
            _ = fchmod(fd, 0o600)
        }
    }

    private static func reason(_ error: any Error) -> String {
        if let posix = (error as NSError).userInfo[NSUnderlyingErrorKey] as? NSError,
            posix.domain == NSPOSIXErrorDomain
        {
            return String(cString: strerror(Int32(posix.code)))
        }
        return (error as NSError).localizedDescription
    }

    /// The last `maxStderrTail` bytes of `text`, starting on a character boundary.
    static func tail(_ text: String) -> String {
        let utf8 = text.utf8
        guard utf8.count > maxStderrTail else { return text }
        var start = utf8.index(utf8.endIndex, offsetBy: -maxStderrTail)
        while start < utf8.endIndex, UTF8.isContinuation(utf8[start]) { start = utf8.index(after: start) }
        return String(decoding: utf8[start...], as: UTF8.self)
    }

    static func milliseconds(_ date: Date) -> Int64 {
        Int64((date.timeIntervalSince1970 * 1000).rounded())
    }

    static func date(milliseconds: Int64) -> Date {
        Date(timeIntervalSince1970: Double(milliseconds) / 1000)
    }
}
