import Foundation

/// The runs and deletions of a job as evidence of what this backupd wrote at each destination.
/// Every query is an index lookup (runs by job and start, deletions by job and key), so a prune
/// after each backup stays cheap on a history of millions of rows.
extension HistoryStore {
    /// A run at one destination: its lane there (its status there). A run still `running` is
    /// `running` at every lane it has not dropped out of.
    private static let traceSelect = """
        SELECT r.id, r.started_ms, d.destination, d.bucket,
            CASE WHEN r.status = 'running' AND d.status = 'running' THEN 'running' ELSE d.status END, d.object_key
        FROM runs r JOIN run_destinations d ON d.run_id = r.id AND d.destination = ?
        """

    private static func trace(_ row: SQLiteStatement, destination: String) -> BackupRunTrace {
        BackupRunTrace(
            runID: row.int64(0) ?? 0, startedAt: date(milliseconds: row.int64(1) ?? 0), destination: row.text(2) ?? destination,
            bucket: row.text(3), status: row.text(4).flatMap(RunStatus.init(rawValue:)) ?? .failed, objectKey: row.text(5))
    }

    /// The runs of `job` at `destination` that started around one of `seconds` (a backup name's
    /// stamp is its run's start, to the second; a second either side is read too, and the caller
    /// matches by key), and every run of the job still running.
    public func traces(job: String, destination: String, seconds: [Date]) throws -> [BackupRunTrace] {
        try withDatabase("read the runs of \(job) at \(destination)") { db in
            var traces = try db.query(
                Self.traceSelect + " WHERE r.job = ? AND r.status = 'running'",
                [.text(destination), .text(job)]
            ) { Self.trace($0, destination: destination) }
            for second in Set(seconds.map { Self.milliseconds($0) / 1000 }) {
                traces += try db.query(
                    Self.traceSelect + " WHERE r.job = ? AND r.started_ms >= ? AND r.started_ms < ? AND r.status <> 'running'",
                    [.text(destination), .text(job), .integer(second * 1000 - 1000), .integer(second * 1000 + 2000)]
                ) { Self.trace($0, destination: destination) }
            }
            return traces
        }
    }

    /// The newest `limit` runs of `job` that stored a backup somewhere (succeeded or partial), as
    /// seen at `destination`, newest first.
    public func newestStoringTraces(job: String, destination: String, limit: Int) throws -> [BackupRunTrace] {
        try withDatabase("read the newest runs of \(job) at \(destination)") { db in
            try db.query(
                Self.traceSelect + """
                     WHERE r.id IN (SELECT id FROM runs WHERE job = ? AND status IN ('succeeded', 'partial')
                                    ORDER BY started_ms DESC, id DESC LIMIT ?)
                     ORDER BY r.started_ms DESC, r.id DESC
                    """,
                [.text(destination), .text(job), .integer(Int64(limit))]
            ) { Self.trace($0, destination: destination) }
        }
    }

    /// Which of `keys` (of `job` at `destination`) prune recorded as deleted.
    public func deletedKeys(job: String, destination: String, among keys: [String]) throws -> Set<String> {
        guard !keys.isEmpty else { return [] }
        return try withDatabase("read the deletions of \(job) at \(destination)") { db in
            var found = Set<String>()
            for key in Set(keys) {
                let hit = try db.query(
                    """
                    SELECT 1 FROM deletions WHERE job = ? AND object_key = ? AND (destination = ? OR destination IS NULL)
                        AND outcome = 'deleted' LIMIT 1
                    """,
                    [.text(job), .text(key), .text(destination)]
                ) { _ in true }
                if !hit.isEmpty { found.insert(key) }
            }
            return found
        }
    }
}
