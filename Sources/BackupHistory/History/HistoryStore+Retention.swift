import Foundation

extension HistoryStore {
    /// Records the deletions of one prune, in one transaction.
    public func recordDeletions(_ records: [DeletionRecord]) throws {
        guard !records.isEmpty else { return }
        try withDatabase("record \(records.count) deletions of job \(records[0].job)") { db in
            try db.transaction {
                for r in records {
                    try db.run(
                        """
                        INSERT INTO deletions (job, destination, bucket, backup_id, object_key, deleted_ms, cause, outcome, error)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                        """,
                        [
                            .text(r.job), .text(r.destination), .text(r.bucket), .text(r.backupID), .text(r.objectKey),
                            .integer(Self.milliseconds(r.at)), .text(r.cause.rawValue), .text(r.outcome.rawValue), .text(r.error),
                        ])
                }
            }
        }
    }

    /// The recorded deletions, oldest first, of one job or all.
    public func deletions(job: String? = nil) throws -> [DeletionRecord] {
        try withDatabase("read the deletions") { db in
            let filter = job == nil ? "" : " WHERE job = ?"
            return try db.query(
                "SELECT job, destination, bucket, backup_id, object_key, deleted_ms, cause, outcome, error FROM deletions\(filter) ORDER BY deleted_ms, id",
                job.map { [.text($0)] } ?? []
            ) { row in
                DeletionRecord(
                    job: row.text(0) ?? "", destination: row.text(1), bucket: row.text(2), backupID: row.text(3) ?? "",
                    objectKey: row.text(4) ?? "", at: Self.date(milliseconds: row.int64(5) ?? 0),
                    cause: DeletionRecord.Cause(rawValue: row.text(6) ?? "") ?? .retention,
                    outcome: DeletionRecord.Outcome(rawValue: row.text(7) ?? "") ?? .refused, error: row.text(8))
            }
        }
    }

    /// Deletes run rows (with their destination rows) that started before `cutoff`, and deletion rows from before it, keeping
    /// each job's newest run, every run still `running` and every unacknowledged suspicious one (retention's
    /// only record that its backup must not displace older ones). Returns how many runs were deleted.
    @discardableResult
    public func pruneHistory(before cutoff: Date) throws -> Int {
        try withDatabase("delete history older than \(cutoff)") { db in
            try db.transaction {
                let ms = Self.milliseconds(cutoff)
                let old = """
                    SELECT id FROM runs WHERE started_ms < ? AND status <> 'running'
                      AND NOT (suspicious IS NOT NULL AND acknowledged_ms IS NULL)
                      AND id NOT IN (SELECT (SELECT id FROM runs AS newest WHERE newest.job = jobs.job
                                             ORDER BY started_ms DESC, id DESC LIMIT 1)
                                     FROM (SELECT DISTINCT job FROM runs) AS jobs)
                    """
                // Every run has lanes now: they go first, by the runs' ids (foreign keys are not enforced),
                // so the cost follows the rows deleted, not the size of the history.
                try db.run("DELETE FROM run_destinations WHERE run_id IN (\(old))", [.integer(ms)])
                try db.run("DELETE FROM runs WHERE id IN (\(old))", [.integer(ms)])
                let runs = db.changes
                try db.run("DELETE FROM deletions WHERE deleted_ms < ?", [.integer(ms)])
                return runs
            }
        }
    }
}
