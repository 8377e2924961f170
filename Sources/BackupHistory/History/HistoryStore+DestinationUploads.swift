import BackupCore
import Foundation

/// The lanes of runs and their open uploads (migration "run destination uploads"), which crash
/// recovery reconciles and hands to the pending-abort ledger, the one place aborts are made from.
extension HistoryStore {
    /// Opens one `running` lane per destination in job order (replacing lanes at those positions).
    public func recordDestinationsStarted(runID: Int64, _ destinations: [(name: String, bucket: String?)]) throws {
        guard !destinations.isEmpty else { return }
        try withDatabase("record the destinations of run \(runID)") { db in
            try db.transaction { try Self.openLanes(db, runID: runID, destinations) }
        }
    }

    /// Records the multipart upload a running lane just created (each segment's and step's in turn).
    public func recordDestinationUpload(runID: Int64, destination: String, objectKey: String?, uploadID: String) throws {
        try withDatabase("record the upload of run \(runID) at \(destination)") { db in
            try Self.recordLaneProgress(db, runID: runID, RunProgress(uploadID: uploadID, destination: destination, objectKey: objectKey))
        }
    }

    /// Records that a running lane's upload failed while the others carry on (`updateProgress` with a `failure`).
    public func recordDestinationFailed(runID: Int64, destination: String, error: String) throws {
        try updateProgress(runID: runID, RunProgress(destination: destination, failure: error))
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

    /// Lane uploads still open of runs that are no longer running, oldest run first.
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

    /// Hands open lane uploads to the pending-abort ledger (`reason` as their last error, no abort
    /// tried yet), the one place every abort (recovery's, the sweeper's) is made from. Their lanes
    /// show them open until the first attempt (`abortConfirmed`, `pendingAbortFailed`); a lane
    /// whose bucket is unknown is left out. Returns what the ledger now holds for them.
    @discardableResult
    public func handOverUploads(_ lanes: [DestinationUpload], bucket: (DestinationUpload) -> String?, at time: Date, reason: String) throws -> [PendingAbort] {
        let pending = lanes.compactMap { lane -> (DestinationUpload, PendingAbort)? in
            guard let uploadID = lane.uploadID, let key = lane.objectKey, let bucket = lane.bucket ?? bucket(lane) else { return nil }
            return (lane, PendingAbort(destination: lane.destination, bucket: bucket, key: key, uploadID: uploadID, since: time, attempts: 0, lastError: reason))
        }
        guard !pending.isEmpty else { return [] }
        try withDatabase("hand \(pending.count) open uploads to the pending aborts") { db in
            try db.transaction {
                for (_, upload) in pending {
                    try db.run("DELETE FROM pending_aborts WHERE upload_id = ?", [.text(upload.uploadID)])
                    try db.run(
                        """
                        INSERT INTO pending_aborts (destination, bucket, object_key, upload_id, since_ms, attempts, last_error)
                        VALUES (?, ?, ?, ?, ?, 0, ?)
                        """,
                        [
                            .text(upload.destination), .text(upload.bucket), .text(upload.key), .text(upload.uploadID),
                            .integer(Self.milliseconds(time)), .text(Self.tail(reason)),
                        ])
                }
            }
        }
        return pending.map(\.1)
    }

    /// Ends a run its owner left `running` with what recovery found at each lane
    /// (`results`, by position: succeeded where its backup is complete, else interrupted): the run
    /// succeeded at every destination, partial at some, interrupted at none (also a run without
    /// lanes). Returns the run's status, or nil when it was no longer running.
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
