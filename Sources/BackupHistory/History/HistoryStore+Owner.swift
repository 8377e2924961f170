import BackupCore
import Foundation

extension HistoryStore {
    /// A `running` run with the process that owns it (nil for rows written before owners were recorded).
    public struct OwnedRun: Sendable {
        /// The run.
        public var run: RunRecord
        /// Its owner, when recorded.
        public var owner: ProcessOwner?
    }

    /// Records the start of a run (status `running`) owned by `owner`, with one open lane per
    /// destination of `destinations` (name and bucket, in the job's order), and returns its id.
    public func insertRunning(
        job: String, trigger: RunTrigger, scheduledAt: Date?, startedAt: Date, destinations: [(name: String, bucket: String?)],
        owner: ProcessOwner
    ) throws -> Int64 {
        try withDatabase("record the start of a run of job \(job)") { db in
            try db.transaction {
                // The runs row keeps naming a destination for the readers of `RunRecord` (history's `destination`).
                try db.run(
                    """
                    INSERT INTO runs (job, triggered_by, scheduled_ms, started_ms, status, destination, bucket,
                                      owner_pid, owner_start, owner_boot)
                    VALUES (?, ?, ?, ?, 'running', ?, ?, ?, ?, ?)
                    """,
                    [
                        .text(job), .text(trigger.rawValue), .integer(scheduledAt.map(Self.milliseconds)),
                        .integer(Self.milliseconds(startedAt)), .text(destinations.first?.name), .text(destinations.first?.bucket),
                        .integer(Int64(owner.pid)), .integer(owner.startTime), .text(owner.bootID),
                    ])
                let runID = db.lastInsertRowID
                try Self.openLanes(db, runID: runID, destinations)
                return runID
            }
        }
    }

    /// Records the start of a run owned by `owner` with one lane at `destination` (none when nil).
    public func insertRunning(
        job: String, trigger: RunTrigger, scheduledAt: Date?, startedAt: Date, destination: String?,
        bucket: String?, owner: ProcessOwner
    ) throws -> Int64 {
        try insertRunning(
            job: job, trigger: trigger, scheduledAt: scheduledAt, startedAt: startedAt,
            destinations: destination.map { [(name: $0, bucket: bucket)] } ?? [], owner: owner)
    }

    /// Every run still marked running, oldest first, with its owner.
    public func runningRunsWithOwners() throws -> [OwnedRun] {
        try withDatabase("read the running runs") { db in
            try db.query(
                "SELECT \(Self.columns), owner_pid, owner_start, owner_boot FROM runs WHERE status = 'running' ORDER BY id", []
            ) { row in
                let owner = row.int64(Self.columnCount).map { pid in
                    ProcessOwner(pid: Int32(truncatingIfNeeded: pid), startTime: row.int64(Self.columnCount + 1), bootID: row.text(Self.columnCount + 2))
                }
                return OwnedRun(run: Self.record(from: row), owner: owner)
            }
        }
    }

    /// Marks one running run `interrupted` (ended at `time`, `reason` unless an error was recorded),
    /// and its open lanes with it; returns false when it was no longer running.
    @discardableResult
    public func interrupt(runID: Int64, at time: Date, reason: String) throws -> Bool {
        try withDatabase("mark run \(runID) interrupted") { db in
            try db.transaction {
                try db.run(
                    "UPDATE runs SET status = 'interrupted', ended_ms = ?, error = COALESCE(error, ?) WHERE id = ? AND status = 'running'",
                    [.integer(Self.milliseconds(time)), .text(reason), .integer(runID)])
                guard db.changes > 0 else { return false }
                try Self.closeOpenLanes(db, runID: runID, keepUploads: true)
                return true
            }
        }
    }

    /// Records a running run whose object was found complete (its end was never recorded) as
    /// succeeded, with what the stored object says, its open lanes stored with it; returns false
    /// when it was no longer running.
    @discardableResult
    public func reconcileSucceeded(runID: Int64, at time: Date, object: StoredObject) throws -> Bool {
        try withDatabase("record run \(runID) as succeeded") { db in
            try db.transaction {
                try db.run(
                    """
                    UPDATE runs SET status = 'succeeded', ended_ms = ?, bytes_stored = ?, sha256 = COALESCE(?, sha256),
                        upload_id = NULL, error = NULL
                    WHERE id = ? AND status = 'running'
                    """,
                    [.integer(Self.milliseconds(time)), .integer(object.size), .text(object.metadata["sha256"]), .integer(runID)])
                guard db.changes > 0 else { return false }
                try Self.closeOpenLanes(db, runID: runID, keepUploads: false)
                return true
            }
        }
    }
}
