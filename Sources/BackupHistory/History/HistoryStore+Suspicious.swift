import Foundation

/// Suspicious backups in the history: the sizes the shrinkage rule compares with, which backups
/// retention must keep as extras, and an operator's acknowledgement.
extension HistoryStore: SuspicionSource {
    /// The dump bytes of `job`'s newest `count` succeeded runs that count as peers (not suspicious,
    /// or acknowledged), newest first: what `ShrinkageRule` takes the median of.
    public func recentDumpSizes(job: String, count: Int = ShrinkageRule.peers) throws -> [Int64] {
        try withDatabase("read the recent dump sizes of job \(job)") { db in
            try db.query(
                """
                SELECT bytes_read FROM runs
                WHERE job = ? AND status = 'succeeded' AND bytes_read IS NOT NULL
                    AND (suspicious IS NULL OR acknowledged_ms IS NOT NULL)
                ORDER BY started_ms DESC, id DESC LIMIT ?
                """, [.text(job), .integer(Int64(count))]
            ) { $0.int64(0) ?? 0 }
        }
    }

    /// The runs of `job` that stored a suspicious backup nobody acknowledged yet, newest first.
    public func unacknowledgedSuspicious(job: String) throws -> [RunRecord] {
        try withDatabase("read the suspicious backups of job \(job)") { db in
            try db.query(
                """
                SELECT \(Self.columns) FROM runs
                WHERE job = ? AND suspicious IS NOT NULL AND acknowledged_ms IS NULL AND status IN ('succeeded', 'partial')
                ORDER BY started_ms DESC, id DESC
                """, [.text(job)], Self.record)
        }
    }

    public func suspiciousBackupIDs(job: String, among ids: [String]) throws -> Set<String> {
        let suspicious = Set(try unacknowledgedSuspicious(job: job).compactMap(\.backupID))
        return Set(ids.filter(suspicious.contains))
    }

    /// Marks the suspicious backup `backupID` of `job` acknowledged at `time`, so that it counts
    /// as a normal backup from now on; returns its run. Throws `HistoryError.notSuspicious` when no
    /// run of the job stored that backup as suspicious and unacknowledged.
    public func acknowledge(job: String, backupID: String, at time: Date) throws -> RunRecord {
        let candidates = try unacknowledgedSuspicious(job: job)
        guard let run = candidates.first(where: { $0.backupID == backupID }) else {
            throw HistoryError.notSuspicious(job: job, backupID: backupID, suspicious: candidates.compactMap(\.backupID))
        }
        try withDatabase("acknowledge backup \(backupID)") { db in
            try db.run(
                "UPDATE runs SET acknowledged_ms = ? WHERE id = ? AND acknowledged_ms IS NULL",
                [.integer(Self.milliseconds(time)), .integer(run.id)])
        }
        var acknowledged = run
        acknowledged.acknowledgedAt = time
        return acknowledged
    }
}
