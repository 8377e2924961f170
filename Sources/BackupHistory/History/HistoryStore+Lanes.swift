import Foundation

/// Every write of a run's destinations goes through here: one `run_destinations` row (a lane) per
/// destination of every run, opened with the run, given each upload as it starts and closed with
/// the run's outcome (migration "a lane for every run" gave older runs theirs).
extension HistoryStore {
    /// Opens one `running` lane per destination, in job order, for run `runID` (inside a
    /// transaction). A lane starts with the key the run already names (one stream has one name at
    /// every destination); a lane already open at that position keeps its key and upload.
    static func openLanes(_ db: SQLiteDatabase, runID: Int64, _ destinations: [(name: String, bucket: String?)]) throws {
        for (position, destination) in destinations.enumerated() {
            try db.run(
                """
                INSERT INTO run_destinations (run_id, position, destination, bucket, status, object_key)
                SELECT ?, ?, ?, ?, 'running', object_key FROM runs WHERE id = ?
                ON CONFLICT (run_id, position) DO UPDATE SET destination = excluded.destination,
                    bucket = COALESCE(excluded.bucket, bucket), status = 'running', object_key = COALESCE(object_key, excluded.object_key)
                """,
                [.integer(runID), .integer(Int64(position)), .text(destination.name), .text(destination.bucket), .integer(runID)])
        }
    }

    /// Records an upload that started, at the open lane of `destination` (added after the run's
    /// others when the run has none by that name), or at every open lane when `destination` is nil.
    static func recordLaneProgress(_ db: SQLiteDatabase, runID: Int64, _ progress: RunProgress) throws {
        if let destination = progress.destination {
            try db.run(
                """
                INSERT INTO run_destinations (run_id, position, destination, bucket, status)
                SELECT ?, (SELECT COALESCE(MAX(position) + 1, 0) FROM run_destinations WHERE run_id = ?), ?, ?, 'running'
                WHERE NOT EXISTS (SELECT 1 FROM run_destinations WHERE run_id = ? AND destination = ?)
                """,
                [.integer(runID), .integer(runID), .text(destination), .text(progress.bucket), .integer(runID), .text(destination)])
        }
        guard progress.uploadID != nil || progress.objectKey != nil || progress.bucket != nil else { return }
        try db.run(
            """
            UPDATE run_destinations SET upload_id = COALESCE(?, upload_id), object_key = COALESCE(?, object_key),
                bucket = COALESCE(?, bucket)
            WHERE run_id = ? AND status = 'running' AND (? IS NULL OR destination = ?)
            """,
            [
                .text(progress.uploadID), .text(progress.objectKey), .text(progress.bucket), .integer(runID),
                .text(progress.destination), .text(progress.destination),
            ])
    }

    /// Writes each lane of `lanes` at its position (the job's order); the key a lane was writing
    /// stays when its state names none, and its upload id stays only when `keepUploads`.
    static func writeLanes(_ db: SQLiteDatabase, runID: Int64, _ lanes: [DestinationOutcome], keepUploads: Bool) throws {
        for (position, lane) in lanes.enumerated() {
            try db.run(
                """
                INSERT INTO run_destinations (run_id, position, destination, bucket, status, object_key, bytes_stored, sha256, error)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (run_id, position) DO UPDATE SET destination = excluded.destination,
                    bucket = COALESCE(excluded.bucket, bucket), status = excluded.status,
                    object_key = COALESCE(excluded.object_key, object_key), bytes_stored = excluded.bytes_stored,
                    sha256 = excluded.sha256, error = excluded.error, upload_id = CASE WHEN ? THEN upload_id END
                """,
                [
                    .integer(runID), .integer(Int64(position)), .text(lane.destination), .text(lane.bucket),
                    .text(lane.status.rawValue), .text(lane.objectKey), .integer(lane.bytesStored), .text(lane.sha256),
                    .text(lane.error.map(Self.tail)), .integer(keepUploads ? 1 : 0),
                ])
        }
    }

    /// Ends the lanes of run `runID` still open, after the run's row was ended: each takes the
    /// run's result (stored with its object when it succeeded, else its status and error); their
    /// uploads are closed unless `keepUploads`.
    static func closeOpenLanes(_ db: SQLiteDatabase, runID: Int64, keepUploads: Bool) throws {
        let rows = try db.query(
            "SELECT status, object_key, bytes_stored, sha256, error FROM runs WHERE id = ?", [.integer(runID)]
        ) { row in (status: row.text(0) ?? RunStatus.failed.rawValue, key: row.text(1), bytes: row.int64(2), sha: row.text(3), error: row.text(4)) }
        guard let run = rows.first, run.status != RunStatus.running.rawValue else { return }
        let stored = run.status == RunStatus.succeeded.rawValue
        // A lane holds the backup or not: a partial run's lane left open did not store it.
        let status = run.status == RunStatus.partial.rawValue ? RunStatus.failed.rawValue : run.status
        try db.run(
            """
            UPDATE run_destinations SET status = ?, object_key = COALESCE(object_key, ?), bytes_stored = ?, sha256 = ?,
                error = CASE WHEN ? THEN NULL ELSE COALESCE(error, ?) END, upload_id = CASE WHEN ? THEN upload_id END
            WHERE run_id = ? AND status = 'running'
            """,
            [
                .text(status), .text(run.key), .integer(stored ? run.bytes : nil), .text(stored ? run.sha : nil),
                .integer(stored ? 1 : 0), .text(run.error.map(Self.tail)), .integer(keepUploads ? 1 : 0), .integer(runID),
            ])
    }
}
