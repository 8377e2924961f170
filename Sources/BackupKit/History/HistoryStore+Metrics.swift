/// Aggregates for the Prometheus metrics, so a restarted daemon keeps its counters' history.
extension HistoryStore {
    /// Per job and status: how many runs ended so, and the bytes they stored (by destination).
    public struct RunTotals: Sendable, Hashable {
        /// The job.
        public var job: String
        /// The final status.
        public var status: RunStatus
        /// The destination the runs wrote to ("" when unknown).
        public var destination: String
        /// How many runs.
        public var count: Int64
        /// Bytes stored by them.
        public var bytesStored: Int64
    }

    /// Every job's run counts and stored bytes by status and destination (ended runs: succeeded, failed, interrupted).
    public func runTotals() throws -> [RunTotals] {
        try withDatabase("count the runs") { db in
            try db.query(
                "SELECT job, status, COALESCE(destination, ''), count(*), COALESCE(sum(bytes_stored), 0) FROM runs WHERE status IN ('succeeded', 'failed', 'interrupted') GROUP BY job, status, COALESCE(destination, '')"
            ) { row in
                RunTotals(
                    job: row.text(0) ?? "", status: RunStatus(rawValue: row.text(1) ?? "") ?? .failed, destination: row.text(2) ?? "",
                    count: row.int64(3) ?? 0, bytesStored: row.int64(4) ?? 0)
            }
        }
    }
}
