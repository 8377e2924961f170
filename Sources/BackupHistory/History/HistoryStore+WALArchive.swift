import Foundation

/// The WAL archive's state per PITR job: written by the daemon at each `wal-push`, read by
/// `status` and the metrics.
extension HistoryStore {
    /// Records that `name` of `job` is stored at every destination.
    public func recordWALArchived(job: String, name: String, at date: Date) throws {
        try withDatabase("record the archived WAL file \(name) of job \(job)") { db in
            try db.run(
                """
                INSERT INTO wal_archive (job, last_name, last_archived_ms) VALUES (?, ?, ?)
                ON CONFLICT (job) DO UPDATE SET last_name = excluded.last_name, last_archived_ms = excluded.last_archived_ms
                """, [.text(job), .text(name), .integer(Self.milliseconds(date))])
        }
    }

    /// Records a failed push of `name` of `job` and why.
    public func recordWALPushFailure(job: String, name: String, error: String, at date: Date) throws {
        try withDatabase("record the failed push of \(name) of job \(job)") { db in
            try db.run(
                """
                INSERT INTO wal_archive (job, failures, last_failed_ms, last_failed_name, last_error) VALUES (?, 1, ?, ?, ?)
                ON CONFLICT (job) DO UPDATE SET failures = failures + 1, last_failed_ms = excluded.last_failed_ms,
                    last_failed_name = excluded.last_failed_name, last_error = excluded.last_error
                """, [.text(job), .integer(Self.milliseconds(date)), .text(name), .text(error)])
        }
    }

    /// Records that the newest push of `job` found `waiting` other WAL files ready to archive.
    public func recordWALWaiting(job: String, waiting: Int, at date: Date) throws {
        try withDatabase("record the WAL files waiting to be archived for job \(job)") { db in
            try db.run(
                """
                INSERT INTO wal_archive (job, waiting, waiting_ms) VALUES (?, ?, ?)
                ON CONFLICT (job) DO UPDATE SET waiting = excluded.waiting, waiting_ms = excluded.waiting_ms
                """, [.text(job), .integer(Int64(waiting)), .integer(Self.milliseconds(date))])
        }
    }

    /// The archive state of each of `jobs` that has one.
    public func walArchiveStates(jobs: [String]) throws -> [String: WALArchiveState] {
        try withDatabase("read the WAL archive state") { db in try walArchiveStates(db: db, jobs: jobs) }
    }

    func walArchiveStates(db: SQLiteDatabase, jobs: [String]) throws -> [String: WALArchiveState] {
        var states: [String: WALArchiveState] = [:]
        for job in jobs {
            states[job] = try db.query(
                "SELECT last_name, last_archived_ms, failures, last_failed_ms, last_failed_name, last_error, waiting, waiting_ms FROM wal_archive WHERE job = ?",
                [.text(job)]
            ) { row in
                WALArchiveState(
                    lastName: row.text(0), lastArchived: row.int64(1).map { Self.date(milliseconds: $0) }, failures: Int(row.int64(2) ?? 0),
                    lastFailed: row.int64(3).map { Self.date(milliseconds: $0) }, lastFailedName: row.text(4), lastError: row.text(5),
                    waiting: row.int64(6).map { Int($0) }, waitingCounted: row.int64(7).map { Self.date(milliseconds: $0) })
            }.first
        }
        return states
    }
}
