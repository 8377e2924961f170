import CSQLite
import Glibc
import TestThreads
import Testing
@testable import BackupKit
@testable import BackupCore
@testable import BackupEngines
@testable import BackupHistory
@testable import ConfigKit
@testable import S3Kit

/// SQLite failures that are really a full or read-only file system are named as such.
@Suite(.ownThreads)
struct HistoryErrorTests {
    static let path = "/var/lib/backupd/history.sqlite3"

    /// SQLITE_FULL, ENOSPC under any code (the shm map of a WAL open) and EDQUOT are `diskFull`; EROFS is `readOnlyFileSystem`.
    @Test(arguments: [
        (SQLITE_FULL, Int32(0), "disk"),
        (Int32(4874), ENOSPC, "disk"),
        (SQLITE_IOERR, EDQUOT, "disk"),
        (Int32(1032), EROFS, "readonly"),
        (SQLITE_CANTOPEN, EROFS, "readonly"),
    ])
    func classified(code: Int32, errno: Int32, kind: String) {
        let error = HistoryError(SQLiteError(code: code, message: "disk I/O error", systemErrno: errno), path: Self.path, operation: "switch to WAL mode")
        let expected: HistoryError = kind == "disk"
            ? .diskFull(path: Self.path, operation: "switch to WAL mode")
            : .readOnlyFileSystem(path: Self.path, operation: "switch to WAL mode")
        #expect(error == expected)
    }

    /// Other failures stay SQLite errors with their code.
    @Test func otherFailuresStaySQLite() {
        let error = HistoryError(SQLiteError(code: SQLITE_CORRUPT, message: "database disk image is malformed"), path: "/nonexistent/dir/h.sqlite3", operation: "read the history")
        #expect(error == .sqlite(path: "/nonexistent/dir/h.sqlite3", operation: "read the history", code: SQLITE_CORRUPT, message: "database disk image is malformed"))
    }

    /// The messages name the directory, the file and what to do.
    @Test func messages() {
        #expect(HistoryError.diskFull(path: Self.path, operation: "record the start of a run of job app").description
            == "no space left on /var/lib/backupd (history.sqlite3): cannot record the start of a run of job app; free some space on the file system holding /var/lib/backupd (or point stateDirectory elsewhere): backupd records every run there")
        #expect(HistoryError.readOnlyFileSystem(path: Self.path, operation: "switch to WAL mode").description
            == "/var/lib/backupd (history.sqlite3) is on a read-only file system: cannot switch to WAL mode; remount it read-write or point stateDirectory at a writable directory")
    }
}
