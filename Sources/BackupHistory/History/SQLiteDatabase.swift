import CSQLite

/// A thin wrapper over one SQLite connection: open, execute, prepared-statement cache,
/// transactions. Not thread-safe by itself: its owner serialises access.
final class SQLiteDatabase {
    private let handle: OpaquePointer
    private var statements: [String: SQLiteStatement] = [:]

    /// Opens (or with `create`, creates) the database file at `path`. `immutable` (read-only) reads
    /// the file as it is, without the -shm and -wal files a WAL reader otherwise needs to create.
    init(path: String, readOnly: Bool, create: Bool, immutable: Bool = false) throws(SQLiteError) {
        var flags = SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE
        flags |= readOnly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE
        if create && !readOnly { flags |= SQLITE_OPEN_CREATE }
        var name = path
        if immutable && readOnly {
            flags |= SQLITE_OPEN_URI
            let escaped = path.map { $0 == "%" ? "%25" : $0 == "?" ? "%3f" : $0 == "#" ? "%23" : String($0) }.joined()
            name = "file:\(escaped)?immutable=1"
        }
        var db: OpaquePointer?
        let code = sqlite3_open_v2(name, &db, flags, nil)
        guard code == SQLITE_OK, let db else {
            let error = SQLiteError(code: code, db: db)
            sqlite3_close_v2(db)
            throw error
        }
        handle = db
    }

    deinit {
        statements = [:]
        sqlite3_close_v2(handle)
    }

    /// Waits up to `milliseconds` for another connection's lock before failing with SQLITE_BUSY.
    func setBusyTimeout(milliseconds: Int32) {
        sqlite3_busy_timeout(handle, milliseconds)
    }

    /// Executes one or more SQL statements without parameters or results.
    func execute(_ sql: String) throws(SQLiteError) {
        var message: UnsafeMutablePointer<CChar>?
        let code = sqlite3_exec(handle, sql, nil, nil, &message)
        guard code == SQLITE_OK else {
            let text = message.map { String(cString: $0) } ?? String(cString: sqlite3_errstr(code))
            sqlite3_free(message)
            throw SQLiteError(code: code, message: text, systemErrno: sqlite3_system_errno(handle))
        }
    }

    /// The cached prepared statement for `sql`, prepared on first use.
    func statement(_ sql: String) throws(SQLiteError) -> SQLiteStatement {
        if let cached = statements[sql] { return cached }
        let statement = try SQLiteStatement(db: handle, sql: sql)
        statements[sql] = statement
        return statement
    }

    /// Runs `sql` (cached) and maps its rows.
    func query<T>(_ sql: String, _ values: [SQLiteValue] = [], _ transform: (SQLiteStatement) -> T)
        throws(SQLiteError) -> [T]
    {
        try statement(sql).rows(values, transform)
    }

    /// Runs `sql` (cached), which returns no rows.
    func run(_ sql: String, _ values: [SQLiteValue] = []) throws(SQLiteError) {
        try statement(sql).run(values)
    }

    /// The first column of the first row of `sql` as an integer.
    func scalarInt(_ sql: String, _ values: [SQLiteValue] = []) throws(SQLiteError) -> Int64? {
        try query(sql, values) { $0.int64(0) }.first ?? nil
    }

    /// The first column of the first row of `sql` as text.
    func scalarText(_ sql: String, _ values: [SQLiteValue] = []) throws(SQLiteError) -> String? {
        try query(sql, values) { $0.text(0) }.first ?? nil
    }

    /// Rows changed by the last INSERT, UPDATE or DELETE.
    var changes: Int { Int(sqlite3_changes64(handle)) }

    /// The rowid of the last INSERT.
    var lastInsertRowID: Int64 { sqlite3_last_insert_rowid(handle) }

    /// Runs `body` in a transaction (`BEGIN IMMEDIATE` for writers, so the write lock is taken
    /// up front and waits under the busy timeout instead of failing mid-way); rolls back on error.
    func transaction<T>(immediate: Bool = true, _ body: () throws -> T) throws -> T {
        try execute(immediate ? "BEGIN IMMEDIATE" : "BEGIN")
        do {
            let result = try body()
            try execute("COMMIT")
            return result
        } catch {
            try? execute("ROLLBACK")
            throw error
        }
    }
}
