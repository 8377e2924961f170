import CSQLite

/// A failed SQLite call: the result code and SQLite's own message.
struct SQLiteError: Error, Sendable, CustomStringConvertible {
    /// The (extended) result code.
    var code: Int32
    /// `sqlite3_errmsg` at the time of the failure.
    var message: String
    /// The errno of the operating-system call that failed (`sqlite3_system_errno`), 0 when none.
    var systemErrno: Int32 = 0

    /// The primary result code (SQLITE_BUSY, SQLITE_CORRUPT, ...).
    var primaryCode: Int32 { code & 0xff }

    var description: String { "\(message) (SQLite code \(code))" }

    /// Reads the error state of `db` after a call returned `code`.
    init(code: Int32, db: OpaquePointer?) {
        self.code = code
        if let db, let text = sqlite3_errmsg(db) {
            message = String(cString: text)
        } else {
            message = String(cString: sqlite3_errstr(code))
        }
        systemErrno = db.map { sqlite3_system_errno($0) } ?? 0
    }

    init(code: Int32, message: String, systemErrno: Int32 = 0) {
        self.code = code
        self.message = message
        self.systemErrno = systemErrno
    }
}
