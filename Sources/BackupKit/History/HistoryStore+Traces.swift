import Foundation

/// The runs and deletions of a job as evidence of what this backupd wrote at each destination.
extension HistoryStore {
    /// Every run of `job` at `destination`, oldest first: a fan-out run by its own row for that
    /// destination (its status there), any other run by the run row. A run still `running` is
    /// `running` at every destination it has not dropped out of.
    public func traces(job: String, destination: String) throws -> [BackupRunTrace] {
        try withDatabase("read the runs of \(job) at \(destination)") { db in
            try db.query(
                """
                SELECT r.id, r.started_ms, COALESCE(d.destination, r.destination), COALESCE(d.bucket, r.bucket),
                    CASE WHEN r.status = 'running' AND (d.status IS NULL OR d.status = 'running') THEN 'running'
                         ELSE COALESCE(d.status, r.status) END,
                    COALESCE(d.object_key, r.object_key)
                FROM runs r LEFT JOIN run_destinations d ON d.run_id = r.id AND d.destination = ?
                WHERE r.job = ? AND r.status <> 'skipped'
                    AND (d.run_id IS NOT NULL OR (r.destination = ?
                        AND NOT EXISTS (SELECT 1 FROM run_destinations o WHERE o.run_id = r.id)))
                ORDER BY r.started_ms, r.id
                """,
                [.text(destination), .text(job), .text(destination)]
            ) { row in
                BackupRunTrace(
                    runID: row.int64(0) ?? 0, startedAt: Self.date(milliseconds: row.int64(1) ?? 0), destination: row.text(2) ?? destination,
                    bucket: row.text(3), status: row.text(4).flatMap(RunStatus.init(rawValue:)) ?? .failed, objectKey: row.text(5))
            }
        }
    }

    /// The manifest keys at `destination` that prune recorded as deleted for `job`.
    public func deletedManifestKeys(job: String, destination: String) throws -> Set<String> {
        let keys = try withDatabase("read the deletions of \(job) at \(destination)") { db in
            try db.query(
                """
                SELECT object_key FROM deletions
                WHERE job = ? AND (destination = ? OR destination IS NULL) AND outcome = 'deleted' AND object_key LIKE '%.manifest.json'
                """,
                [.text(job), .text(destination)]
            ) { $0.text(0) ?? "" }
        }
        return Set(keys)
    }
}
