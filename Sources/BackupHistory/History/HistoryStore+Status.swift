/// The rows `backupd status` judges each job by.
extension HistoryStore {
    /// Each job's newest run, newest attempt (a run that ended other than skipped), newest
    /// success and a failed newest verification, read in one consistent snapshot.
    public func statusRows(jobs: [String]) throws -> JobStatusRows {
        try withDatabase("read the last runs") { db in
            try db.transaction(immediate: false) {
                var rows = JobStatusRows()
                for job in jobs {
                    let newest = "SELECT \(Self.columns) FROM runs WHERE job = ?"
                    let order = " ORDER BY started_ms DESC, id DESC LIMIT 1"
                    rows.lastRuns[job] = try db.query(newest + order, [.text(job)], Self.record).first
                    rows.lastAttempts[job] = try db.query(
                        newest + " AND status NOT IN ('running', 'skipped', 'claimed')" + order, [.text(job)], Self.record).first
                    rows.lastSuccesses[job] = try db.query(
                        newest + " AND status = 'succeeded'" + order, [.text(job)], Self.record).first
                    rows.suspicious[job] = try db.query(
                        newest + " AND status IN ('succeeded', 'partial') AND suspicious IS NOT NULL AND acknowledged_ms IS NULL" + order,
                        [.text(job)], Self.record).first
                    rows.failedVerifications[job] = try db.query(Self.lastResultsQuery, [.text(job)], Self.verification).first(where: \.failed)
                }
                rows.walArchives = try walArchiveStates(db: db, jobs: jobs)
                return rows
            }
        }
    }
}
