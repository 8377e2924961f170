/// Aggregates for the Prometheus metrics, so a restarted daemon keeps its counters' history.
extension HistoryStore {
    /// Per job and status: how many runs ended so.
    public struct RunTotals: Sendable, Hashable {
        /// The job.
        public var job: String
        /// The final status.
        public var status: RunStatus
        /// How many runs.
        public var count: Int64
    }

    /// Per job and destination: what runs stored there (one row per destination of the job).
    public struct DestinationTotals: Sendable, Hashable {
        /// The job.
        public var job: String
        /// The destination ("" when an old run did not record it).
        public var destination: String
        /// Bytes stored there by every run that stored the backup there.
        public var bytesStored: Int64
        /// Bytes stored there by the newest such run.
        public var lastSize: Int64
    }

    /// Every job's run counts by status (ended runs: succeeded, partial, failed, interrupted).
    public func runTotals() throws -> [RunTotals] {
        try withDatabase("count the runs") { db in
            try db.query(
                "SELECT job, status, count(*) FROM runs WHERE status IN ('succeeded', 'partial', 'failed', 'interrupted') GROUP BY job, status"
            ) { row in
                RunTotals(job: row.text(0) ?? "", status: RunStatus(rawValue: row.text(1) ?? "") ?? .failed, count: row.int64(2) ?? 0)
            }
        }
    }

    /// Every job's stored bytes by destination, from the lanes that stored it (also a partial run's).
    public func destinationTotals() throws -> [DestinationTotals] {
        try withDatabase("sum the bytes stored by destination") { db in
            // With one max() aggregate, SQLite takes the bare `bytes` column from the newest row.
            try db.query(
                """
                WITH stored AS (
                    SELECT r.job AS job, d.destination AS destination, COALESCE(d.bytes_stored, 0) AS bytes, r.started_ms AS started
                    FROM run_destinations d JOIN runs r ON r.id = d.run_id WHERE d.status = 'succeeded'
                )
                SELECT job, destination, sum(bytes), bytes, max(started) FROM stored GROUP BY job, destination
                """
            ) { row in
                DestinationTotals(job: row.text(0) ?? "", destination: row.text(1) ?? "", bytesStored: row.int64(2) ?? 0, lastSize: row.int64(3) ?? 0)
            }
        }
    }
}
