import Foundation

/// The destinations of running fan-out runs and their open uploads (migration "run destination
/// uploads"), which crash recovery reconciles and aborts one by one.
extension HistoryStore {
    /// Records, at the start of a fan-out run, one `running` row per destination in job order.
    public func recordDestinationsStarted(runID: Int64, _ destinations: [(name: String, bucket: String?)]) throws {
        guard !destinations.isEmpty else { return }
        try withDatabase("record the destinations of run \(runID)") { db in
            try db.transaction {
                for (position, destination) in destinations.enumerated() {
                    try db.run(
                        "INSERT OR REPLACE INTO run_destinations (run_id, position, destination, bucket, status) VALUES (?, ?, ?, ?, 'running')",
                        [.integer(runID), .integer(Int64(position)), .text(destination.name), .text(destination.bucket)])
                }
            }
        }
    }

    /// Records the multipart upload a running destination just created (each segment's and step's in turn).
    public func recordDestinationUpload(runID: Int64, destination: String, objectKey: String?, uploadID: String) throws {
        try withDatabase("record the upload of run \(runID) at \(destination)") { db in
            try db.run(
                """
                UPDATE run_destinations SET upload_id = ?, object_key = COALESCE(?, object_key)
                WHERE run_id = ? AND destination = ? AND status = 'running'
                """, [.text(uploadID), .text(objectKey), .integer(runID), .text(destination)])
        }
    }

    /// Records that a running destination's upload failed while the others carry on. Its upload
    /// id stays, so that recovery still aborts it should the store's own abort have failed.
    public func recordDestinationFailed(runID: Int64, destination: String, error: String) throws {
        try withDatabase("record the failure of run \(runID) at \(destination)") { db in
            try db.run(
                "UPDATE run_destinations SET status = 'failed', error = ? WHERE run_id = ? AND destination = ? AND status = 'running'",
                [.text(Self.tail(error)), .integer(runID), .text(destination)])
        }
    }

    /// Ends the destination rows a run left `running` (it ended before any destination's result,
    /// e.g. at preflight) with the run's own status and error; their uploads are closed.
    public func closeRunningDestinations(runID: Int64, status: RunStatus, error: String?) throws {
        try withDatabase("end the destinations of run \(runID)") { db in
            try db.run(
                "UPDATE run_destinations SET status = ?, error = COALESCE(error, ?), upload_id = NULL WHERE run_id = ? AND status = 'running'",
                [.text(status.rawValue), .text(error.map(Self.tail)), .integer(runID)])
        }
    }

    /// The destination rows of `runIDs`, by run id, in job order.
    public func destinationUploads(runIDs: [Int64]) throws -> [Int64: [DestinationUpload]] {
        guard !runIDs.isEmpty else { return [:] }
        let placeholders = Array(repeating: "?", count: runIDs.count).joined(separator: ", ")
        let rows = try withDatabase("read the destination uploads of \(runIDs.count) runs") { db in
            try db.query(
                """
                SELECT run_id, position, destination, bucket, status, object_key, upload_id, error FROM run_destinations
                WHERE run_id IN (\(placeholders)) ORDER BY run_id, position
                """, runIDs.map { .integer($0) }, Self.destinationUpload)
        }
        return Dictionary(grouping: rows, by: \.runID)
    }

    /// Destination uploads still open of runs that are no longer running, oldest run first.
    public func openDestinationUploads() throws -> [DestinationUpload] {
        try withDatabase("read the open destination uploads") { db in
            try db.query(
                """
                SELECT d.run_id, d.position, d.destination, d.bucket, d.status, d.object_key, d.upload_id, d.error
                FROM run_destinations d JOIN runs r ON r.id = d.run_id
                WHERE d.upload_id IS NOT NULL AND r.status <> 'running' ORDER BY d.run_id, d.position
                """, [], Self.destinationUpload)
        }
    }

    /// Clears one destination's upload id once its upload was aborted (or handed to the sweeper).
    public func markDestinationUploadClosed(runID: Int64, position: Int) throws {
        try withDatabase("clear the upload id of run \(runID) at destination \(position)") { db in
            try db.run(
                "UPDATE run_destinations SET upload_id = NULL WHERE run_id = ? AND position = ?", [.integer(runID), .integer(Int64(position))])
        }
    }

    /// Ends a fan-out run its owner left `running` with what recovery found at each destination
    /// (`results`, by position: succeeded where its backup is complete, else interrupted): the run
    /// succeeded at every destination, partial at some, interrupted at none. Uploads of the
    /// interrupted destinations stay open for `openDestinationUploads()`. Returns the run's status,
    /// or nil when it was no longer running.
    @discardableResult
    public func reconcileDestinations(runID: Int64, at time: Date, results: [Int: DestinationOutcome], reason: String) throws -> RunStatus? {
        let stored = results.values.filter { $0.status == .succeeded }.sorted { $0.destination < $1.destination }
        let status: RunStatus = stored.count == results.count && !results.isEmpty ? .succeeded : (stored.isEmpty ? .interrupted : .partial)
        let first = results.keys.sorted().lazy.compactMap { results[$0] }.first { $0.status == .succeeded }
        let error = status == .succeeded ? nil : status == .partial ? "stored in \(stored.count) of \(results.count) destinations; \(reason)" : reason
        return try withDatabase("record the recovery of run \(runID)") { db in
            try db.transaction {
                try db.run(
                    """
                    UPDATE runs SET status = ?, ended_ms = ?, bytes_stored = COALESCE(?, bytes_stored), sha256 = COALESCE(?, sha256),
                        object_key = COALESCE(?, object_key), upload_id = NULL, error = ?
                    WHERE id = ? AND status = 'running'
                    """,
                    [
                        .text(status.rawValue), .integer(Self.milliseconds(time)), .integer(first?.bytesStored), .text(first?.sha256),
                        .text(first?.objectKey), .text(error), .integer(runID),
                    ])
                guard db.changes > 0 else { return nil }
                for (position, outcome) in results {
                    try db.run(
                        """
                        UPDATE run_destinations SET status = ?, bytes_stored = COALESCE(?, bytes_stored), sha256 = COALESCE(?, sha256),
                            error = ?, upload_id = CASE WHEN ? THEN NULL ELSE upload_id END
                        WHERE run_id = ? AND position = ?
                        """,
                        [
                            .text(outcome.status.rawValue), .integer(outcome.bytesStored), .text(outcome.sha256), .text(outcome.error),
                            .integer(outcome.status == .succeeded ? 1 : 0), .integer(runID), .integer(Int64(position)),
                        ])
                }
                return status
            }
        }
    }

    static func destinationUpload(_ row: SQLiteStatement) -> DestinationUpload {
        DestinationUpload(
            runID: row.int64(0) ?? 0, position: Int(row.int64(1) ?? 0), destination: row.text(2) ?? "", bucket: row.text(3),
            status: row.text(4).flatMap(RunStatus.init(rawValue:)) ?? .failed, objectKey: row.text(5), uploadID: row.text(6),
            error: row.text(7))
    }
}
