import BackupCore
import Foundation

/// Uploads whose abort failed (migration "pending aborts"), and the sizes equal parts are fixed from.
extension HistoryStore: PendingAbortLedger {
    /// Keeps `upload` as abort pending (replacing an entry for the same upload id).
    public func recordPendingAbort(_ upload: PendingAbort) throws {
        try withDatabase("record the pending abort of upload \(upload.uploadID)") { db in
            try db.transaction {
                try db.run("DELETE FROM pending_aborts WHERE upload_id = ?", [.text(upload.uploadID)])
                try db.run(
                    """
                    INSERT INTO pending_aborts (destination, bucket, object_key, upload_id, since_ms, attempts, last_error)
                    VALUES (?, ?, ?, ?, ?, ?, ?)
                    """,
                    [
                        .text(upload.destination), .text(upload.bucket), .text(upload.key), .text(upload.uploadID),
                        .integer(Self.milliseconds(upload.since)), .integer(Int64(upload.attempts)), .text(Self.tail(upload.lastError)),
                    ])
            }
        }
    }

    /// Every upload still to abort, oldest first.
    public func pendingAborts() throws -> [PendingAbort] {
        try withDatabase("read the pending aborts") { db in
            try db.query(
                "SELECT destination, bucket, object_key, upload_id, since_ms, attempts, last_error FROM pending_aborts ORDER BY id", []
            ) { row in
                PendingAbort(
                    destination: row.text(0) ?? "", bucket: row.text(1) ?? "", key: row.text(2) ?? "", uploadID: row.text(3) ?? "",
                    since: Self.date(milliseconds: row.int64(4) ?? 0), attempts: Int(row.int64(5) ?? 0), lastError: row.text(6) ?? "")
            }
        }
    }

    /// Counts one more failed abort of `uploadID`; from the first attempt the ledger alone names
    /// it (the lane that held it open no longer does).
    public func pendingAbortFailed(uploadID: String, error: String) throws {
        try withDatabase("update the pending abort of upload \(uploadID)") { db in
            try db.transaction {
                try db.run(
                    "UPDATE pending_aborts SET attempts = attempts + 1, last_error = ? WHERE upload_id = ?",
                    [.text(Self.tail(error)), .text(uploadID)])
                try Self.closeUpload(db, uploadID: uploadID)
            }
        }
    }

    /// Forgets `uploadID` once the provider confirmed its abort, and closes it in its lane.
    public func abortConfirmed(uploadID: String) throws {
        try withDatabase("clear the pending abort of upload \(uploadID)") { db in
            try db.transaction {
                try db.run("DELETE FROM pending_aborts WHERE upload_id = ?", [.text(uploadID)])
                try Self.closeUpload(db, uploadID: uploadID)
            }
        }
    }

    /// Clears `uploadID` from the lanes (and run rows) of runs that ended; a running run's upload stays its own.
    private static func closeUpload(_ db: SQLiteDatabase, uploadID: String) throws {
        try db.run(
            """
            UPDATE run_destinations SET upload_id = NULL
            WHERE upload_id = ? AND run_id IN (SELECT id FROM runs WHERE status <> 'running')
            """, [.text(uploadID)])
        try db.run("UPDATE runs SET upload_id = NULL WHERE upload_id = ? AND status <> 'running'", [.text(uploadID)])
    }

    /// The expected size of `job`'s next backup: the largest of its last `recent` successful
    /// backups (equal parts add their own headroom), or nil when it has none.
    public func recentBackupSize(job: String, recent: Int = 5) throws -> Int64? {
        try withDatabase("read the recent sizes of job \(job)") { db in
            try db.query(
                """
                SELECT MAX(bytes_stored) FROM (SELECT bytes_stored FROM runs
                WHERE job = ? AND status = 'succeeded' AND bytes_stored IS NOT NULL ORDER BY started_ms DESC LIMIT ?)
                """, [.text(job), .integer(Int64(recent))]
            ) { $0.int64(0) }.first ?? nil
        }
    }
}
