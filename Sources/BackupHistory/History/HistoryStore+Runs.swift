import Foundation

/// Writing runs: the run's row and, in the same transaction, its lanes (see `HistoryStore+Lanes`).
extension HistoryStore {
    /// Records the start of a run (status `running`) with one open lane at `destination` when
    /// given, and returns its id.
    public func insertRunning(
        job: String, trigger: RunTrigger, scheduledAt: Date?, startedAt: Date, destination: String? = nil,
        bucket: String? = nil, objectKey: String? = nil
    ) throws -> Int64 {
        try withDatabase("record the start of a run of job \(job)") { db in
            try db.transaction {
                try db.run(
                    """
                    INSERT INTO runs (job, triggered_by, scheduled_ms, started_ms, status, destination, bucket, object_key)
                    VALUES (?, ?, ?, ?, 'running', ?, ?, ?)
                    """,
                    [
                        .text(job), .text(trigger.rawValue), .integer(scheduledAt.map(Self.milliseconds)),
                        .integer(Self.milliseconds(startedAt)), .text(destination), .text(bucket), .text(objectKey),
                    ])
                let runID = db.lastInsertRowID
                try Self.openLanes(db, runID: runID, destination.map { [(name: $0, bucket: bucket)] } ?? [])
                if let objectKey { try Self.recordLaneProgress(db, runID: runID, RunProgress(objectKey: objectKey)) }
                return runID
            }
        }
    }

    /// Records a run that was not started (status `skipped`, `reason` in `error`) and returns its id.
    public func insertSkipped(job: String, trigger: RunTrigger, scheduledAt: Date?, at time: Date, reason: String)
        throws -> Int64
    {
        try withDatabase("record a skipped run of job \(job)") { db in
            let ms = Self.milliseconds(time)
            try db.run(
                """
                INSERT INTO runs (job, triggered_by, scheduled_ms, started_ms, ended_ms, status, error)
                VALUES (?, ?, ?, ?, ?, 'skipped', ?)
                """,
                [
                    .text(job), .text(trigger.rawValue), .integer(scheduledAt.map(Self.milliseconds)), .integer(ms),
                    .integer(ms), .text(reason),
                ])
            return db.lastInsertRowID
        }
    }

    /// Updates a running run's progress; record the upload id as soon as the upload exists. The
    /// upload goes to the lane of `progress.destination` (every open lane when it names none); a
    /// `failure` ends that lane as failed while the run's other lanes carry on.
    public func updateProgress(runID: Int64, _ progress: RunProgress) throws {
        try withDatabase("update the progress of run \(runID)") { db in
            try db.transaction {
                if let failure = progress.failure, let destination = progress.destination {
                    // Its upload id stays, so that recovery still aborts it should the store's own abort have failed.
                    try db.run(
                        "UPDATE run_destinations SET status = 'failed', error = ? WHERE run_id = ? AND destination = ? AND status = 'running'",
                        [.text(Self.tail(failure)), .integer(runID), .text(destination)])
                    try Self.requireRunning(db, runID: runID)
                    return
                }
                // The run's own columns are kept up to date for the readers of `RunRecord` (history, status).
                try db.run(
                    """
                    UPDATE runs SET bytes_read = COALESCE(?, bytes_read), bytes_stored = COALESCE(?, bytes_stored),
                        upload_id = COALESCE(?, upload_id), destination = COALESCE(?, destination),
                        bucket = COALESCE(?, bucket), object_key = COALESCE(?, object_key)
                    WHERE id = ? AND status = 'running'
                    """,
                    [
                        .integer(progress.bytesRead), .integer(progress.bytesStored), .text(progress.uploadID),
                        .text(progress.destination), .text(progress.bucket), .text(progress.objectKey), .integer(runID),
                    ])
                try Self.requireChanged(db, runID: runID)
                try Self.recordLaneProgress(db, runID: runID, progress)
            }
        }
    }

    /// Records the end of a running run and of each of its lanes: `outcome.destinations` where it
    /// has them, the run's own result for any lane still open. `outcome.status` must be succeeded,
    /// partial, failed, interrupted or claimed (a `runOn: "any"` run that lost its claim).
    public func finish(runID: Int64, _ outcome: RunOutcome) throws {
        precondition(
            [.succeeded, .partial, .failed, .interrupted, .claimed].contains(outcome.status),
            "a run finishes as succeeded, partial, failed, interrupted or claimed, not \(outcome.status)")
        try withDatabase("record the end of run \(runID)") { db in
            try db.transaction {
                try db.run(
                    """
                    UPDATE runs SET status = ?, ended_ms = ?, bytes_read = COALESCE(?, bytes_read),
                        bytes_stored = COALESCE(?, bytes_stored), object_key = COALESCE(?, object_key),
                        sha256 = COALESCE(?, sha256), exit_status = COALESCE(?, exit_status),
                        stderr_tail = COALESCE(?, stderr_tail), error = COALESCE(?, error),
                        upload_id = CASE WHEN ? THEN NULL ELSE upload_id END, suspicious = ?
                    WHERE id = ? AND status = 'running'
                    """,
                    [
                        .text(outcome.status.rawValue), .integer(Self.milliseconds(outcome.endedAt)),
                        .integer(outcome.bytesRead), .integer(outcome.bytesStored), .text(outcome.objectKey),
                        .text(outcome.sha256), .integer(outcome.exitStatus.map(Int64.init)),
                        .text(outcome.stderrTail.map(Self.tail)), .text(outcome.error),
                        .integer(outcome.uploadClosed ? 1 : 0), .text(outcome.suspicious), .integer(runID),
                    ])
                try Self.requireChanged(db, runID: runID)
                try Self.writeLanes(db, runID: runID, outcome.destinations, keepUploads: !outcome.uploadClosed)
                try Self.closeOpenLanes(db, runID: runID, keepUploads: !outcome.uploadClosed)
            }
        }
    }

    /// Crash recovery at start: marks every `running` run `interrupted` (ended now, `reason` as
    /// error unless one was recorded), and its open lanes with it, and returns them as updated.
    /// Their upload ids stay: abort those uploads (see `uploadsToAbort()`), then call `markUploadClosed(runID:)`.
    public func interruptRunningRuns(at time: Date, reason: String) throws -> [RunRecord] {
        try withDatabase("mark interrupted runs") { db in
            try db.transaction {
                let running = try db.query(
                    "SELECT \(Self.columns) FROM runs WHERE status = 'running' ORDER BY id", [], Self.record)
                try db.run(
                    "UPDATE runs SET status = 'interrupted', ended_ms = ?, error = COALESCE(error, ?) WHERE status = 'running'",
                    [.integer(Self.milliseconds(time)), .text(reason)])
                for run in running { try Self.closeOpenLanes(db, runID: run.id, keepUploads: true) }
                return running.map { run in
                    var run = run
                    run.status = .interrupted
                    run.endedAt = Self.date(milliseconds: Self.milliseconds(time))
                    run.error = run.error ?? reason
                    return run
                }
            }
        }
    }

    /// Clears a run's upload ids (every lane's) once its multipart uploads were completed or aborted.
    public func markUploadClosed(runID: Int64) throws {
        try withDatabase("clear the upload id of run \(runID)") { db in
            try db.transaction {
                try db.run("UPDATE runs SET upload_id = NULL WHERE id = ?", [.integer(runID)])
                try db.run("UPDATE run_destinations SET upload_id = NULL WHERE run_id = ?", [.integer(runID)])
            }
        }
    }

    /// Deletes finished runs (with their lanes) started before `date` and returns how many were deleted.
    public func pruneRuns(startedBefore date: Date) throws -> Int {
        try withDatabase("delete old runs") { db in
            try db.transaction {
                let old = "SELECT id FROM runs WHERE started_ms < ? AND status <> 'running'"
                // Foreign keys are not enforced, so the runs' lanes go by hand, first.
                try db.run("DELETE FROM run_destinations WHERE run_id IN (\(old))", [.integer(Self.milliseconds(date))])
                try db.run("DELETE FROM runs WHERE id IN (\(old))", [.integer(Self.milliseconds(date))])
                return db.changes
            }
        }
    }

    /// Finished runs with a lane whose multipart upload is still open (not completed nor aborted),
    /// one record per such lane (its destination, bucket, key and upload id), oldest first.
    public func uploadsToAbort() throws -> [RunRecord] {
        try withDatabase("read the open uploads") { db in
            try db.query(
                """
                SELECT \(Self.runColumns), d.destination, d.bucket, d.object_key, d.upload_id
                FROM runs JOIN run_destinations d ON d.run_id = runs.id
                WHERE d.upload_id IS NOT NULL AND runs.status <> 'running' ORDER BY runs.id, d.position
                """, []
            ) { row in
                var run = Self.record(from: row)
                run.destination = row.text(Self.columnCount)
                run.bucket = row.text(Self.columnCount + 1) ?? run.bucket
                run.objectKey = row.text(Self.columnCount + 2) ?? run.objectKey
                run.uploadID = row.text(Self.columnCount + 3)
                return run
            }
        }
    }

    static func requireChanged(_ db: SQLiteDatabase, runID: Int64) throws {
        guard db.changes == 0 else { return }
        try requireRunning(db, runID: runID)
    }

    /// Throws unless run `runID` exists and is still running.
    static func requireRunning(_ db: SQLiteDatabase, runID: Int64) throws {
        let status = try db.scalarText("SELECT status FROM runs WHERE id = ?", [.integer(runID)])
        guard let status else { throw HistoryError.unknownRun(id: runID) }
        guard status == RunStatus.running.rawValue else {
            throw HistoryError.runNotRunning(id: runID, status: RunStatus(rawValue: status) ?? .failed)
        }
    }
}
