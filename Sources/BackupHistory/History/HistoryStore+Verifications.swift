import Foundation

extension HistoryStore {
    static let verificationColumns = """
        id, job, backup_id, manifest_key, triggered_by, started_ms, ended_ms, status, bytes_read, objects, \
        drill_database, drill_tables, drill_rows, error, destination
        """

    /// The status of a verification that passed on digests alone (its content was not checked).
    static let digestsOnly = "digests-only"
    /// The status of a verification that could not run here (a local tool is missing).
    static let couldNotVerify = "could-not-verify"
    /// The statuses of verifications that ran: they say whether the backup is good.
    static let decidingStatuses = "('passed', 'digests-only', 'failed')"

    /// Records a finished verification and returns its id.
    @discardableResult
    public func insertVerification(_ record: VerificationRecord) throws -> Int64 {
        try withDatabase("record a verification of \(record.backupID)") { db in
            try db.run(
                """
                INSERT INTO verifications (job, backup_id, manifest_key, triggered_by, started_ms, ended_ms, status, bytes_read,
                    objects, drill_database, drill_tables, drill_rows, error, destination)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
                [
                    .text(record.job), .text(record.backupID), .text(record.manifestKey), .text(record.trigger.rawValue),
                    .integer(Self.milliseconds(record.startedAt)), .integer(Self.milliseconds(record.endedAt)),
                    .text(Self.status(of: record)), .integer(record.bytesRead), .integer(record.objects.map(Int64.init)),
                    .text(record.drillDatabase), .integer(record.drillTables.map(Int64.init)), .integer(record.drillRows),
                    .text(record.error.map(Self.tail)), .text(record.destination),
                ])
            return db.lastInsertRowID
        }
    }

    static func status(of record: VerificationRecord) -> String {
        if record.passed { return record.contentChecked ? "passed" : digestsOnly }
        return record.couldNotRun ? couldNotVerify : "failed"
    }

    /// `job`'s newest verification that ran (passed or failed; not one that could not run) at each
    /// destination, newest first: what says whether its backups are known good.
    public func lastVerificationResults(job: String) throws -> [VerificationRecord] {
        try withDatabase("read the verifications of job \(job)") { db in
            try db.query(Self.lastResultsQuery, [.text(job)], Self.verification)
        }
    }

    /// The query of `lastVerificationResults(job:)`, also run inside `statusRows(jobs:)`'s snapshot.
    static let lastResultsQuery = """
        SELECT \(verificationColumns) FROM verifications v WHERE job = ? AND status IN \(decidingStatuses)
          AND id = (SELECT id FROM verifications w WHERE w.job = v.job AND w.destination IS v.destination
                    AND w.status IN \(decidingStatuses) ORDER BY started_ms DESC, id DESC LIMIT 1)
        ORDER BY started_ms DESC, id DESC
        """

    /// `job`'s verifications, newest first (at most `limit`).
    public func verifications(job: String, limit: Int? = nil) throws -> [VerificationRecord] {
        try withDatabase("read the verifications of job \(job)") { db in
            try db.query(
                "SELECT \(Self.verificationColumns) FROM verifications WHERE job = ? ORDER BY started_ms DESC, id DESC LIMIT ?",
                [.text(job), .integer(Int64(limit ?? -1))], Self.verification)
        }
    }

    /// The newest verification of each of `job`'s backups, by backup id (for `backupd list`); with
    /// `destination`, only of the copies there (and of rows that name no destination).
    public func lastVerifications(job: String, destination: String? = nil) throws -> [String: VerificationRecord] {
        var result: [String: VerificationRecord] = [:]
        for record in try verifications(job: job) where result[record.backupID] == nil {
            if let destination, let recorded = record.destination, recorded != destination { continue }
            result[record.backupID] = record
        }
        return result
    }

    static func verification(from row: SQLiteStatement) -> VerificationRecord {
        var record = VerificationRecord(
            id: row.int64(0) ?? 0, job: row.text(1) ?? "", backupID: row.text(2) ?? "", manifestKey: row.text(3),
            trigger: row.text(4).flatMap(VerificationRecord.Trigger.init(rawValue:)) ?? .verify,
            startedAt: date(milliseconds: row.int64(5) ?? 0), endedAt: date(milliseconds: row.int64(6) ?? 0),
            passed: row.text(7) == "passed" || row.text(7) == digestsOnly, bytesRead: row.int64(8), objects: row.int64(9).map { Int($0) },
            drillDatabase: row.text(10), drillTables: row.int64(11).map { Int($0) }, drillRows: row.int64(12), error: row.text(13),
            contentChecked: row.text(7) != digestsOnly, destination: row.text(14))
        record.couldNotRun = row.text(7) == couldNotVerify
        return record
    }
}
