import Foundation

extension HistoryStore {
    /// One schema step; `version` is what `PRAGMA user_version` says once it is applied.
    struct Migration: Sendable {
        let version: Int
        let name: String
        let sql: String
    }

    /// Every schema step since the first release, in order. Never edit a released step: add one.
    ///
    /// Status and trigger are plain TEXT without CHECK constraints so that a later version can add
    /// a value without rebuilding a table of a hundred million rows; the typed API guards them.
    static let migrations: [Migration] = [
        Migration(
            version: 1, name: "v1",
            sql: """
                CREATE TABLE runs (
                    id            INTEGER PRIMARY KEY,
                    job           TEXT NOT NULL,
                    triggered_by  TEXT NOT NULL,
                    scheduled_ms  INTEGER,
                    started_ms    INTEGER NOT NULL,
                    ended_ms      INTEGER,
                    status        TEXT NOT NULL,
                    bytes_read    INTEGER,
                    bytes_stored  INTEGER,
                    object_key    TEXT,
                    sha256        TEXT,
                    upload_id     TEXT,
                    destination   TEXT,
                    bucket        TEXT,
                    exit_status   INTEGER,
                    stderr_tail   TEXT,
                    error         TEXT
                );
                -- Newest-first listings: the rowid (id) ends every index, breaking ties in start time.
                CREATE INDEX runs_by_job ON runs (job, started_ms);
                CREATE INDEX runs_by_job_status ON runs (job, status, started_ms);
                CREATE INDEX runs_by_status ON runs (status, started_ms);
                CREATE INDEX runs_by_start ON runs (started_ms);
                -- Uploads left open by failed or interrupted runs: a handful of rows at most.
                CREATE INDEX runs_with_open_upload ON runs (id) WHERE upload_id IS NOT NULL;
                """),
        Migration(
            version: 2, name: "run owners",
            sql: """
                -- The process that performs a run: crash recovery touches only runs whose owner is gone.
                ALTER TABLE runs ADD COLUMN owner_pid INTEGER;
                ALTER TABLE runs ADD COLUMN owner_start INTEGER;
                ALTER TABLE runs ADD COLUMN owner_boot TEXT;
                """),
        Migration(
            version: 3, name: "verifications",
            sql: """
                -- One row per `verify` (by hand, on schedule, after a backup) and restore drill.
                CREATE TABLE verifications (
                    id             INTEGER PRIMARY KEY,
                    job            TEXT NOT NULL,
                    backup_id      TEXT NOT NULL,
                    manifest_key   TEXT,
                    triggered_by   TEXT NOT NULL,
                    started_ms     INTEGER NOT NULL,
                    ended_ms       INTEGER NOT NULL,
                    status         TEXT NOT NULL,
                    bytes_read     INTEGER,
                    objects        INTEGER,
                    drill_database TEXT,
                    drill_tables   INTEGER,
                    drill_rows     INTEGER,
                    error          TEXT
                );
                CREATE INDEX verifications_by_backup ON verifications (job, backup_id, started_ms);
                CREATE INDEX verifications_by_job ON verifications (job, started_ms);
                """),
        Migration(
            version: 4, name: "deletions",
            sql: """
                -- One row per object prune deleted or tried to delete (retention or an incomplete backup).
                CREATE TABLE deletions (
                    id           INTEGER PRIMARY KEY,
                    job          TEXT NOT NULL,
                    destination  TEXT,
                    bucket       TEXT,
                    backup_id    TEXT NOT NULL,
                    object_key   TEXT NOT NULL,
                    deleted_ms   INTEGER NOT NULL,
                    cause        TEXT NOT NULL,
                    outcome      TEXT NOT NULL,
                    error        TEXT
                );
                CREATE INDEX deletions_by_job ON deletions (job, deleted_ms);
                """),
        Migration(
            version: 5, name: "pending aborts",
            sql: """
                -- Multipart uploads whose abort failed, kept until the sweeper's abort is confirmed:
                -- a handful of rows at most, so no index.
                CREATE TABLE pending_aborts (
                    id            INTEGER PRIMARY KEY,
                    destination   TEXT NOT NULL,
                    bucket        TEXT NOT NULL,
                    object_key    TEXT NOT NULL,
                    upload_id     TEXT NOT NULL,
                    since_ms      INTEGER NOT NULL,
                    attempts      INTEGER NOT NULL,
                    last_error    TEXT NOT NULL
                );
                """),
        Migration(
            version: 6, name: "run destinations",
            sql: """
                -- One row per destination of a finished run (a job may upload each dump to several).
                CREATE TABLE run_destinations (
                    run_id       INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
                    position     INTEGER NOT NULL,
                    destination  TEXT NOT NULL,
                    bucket       TEXT,
                    status       TEXT NOT NULL,
                    object_key   TEXT,
                    bytes_stored INTEGER,
                    sha256       TEXT,
                    error        TEXT,
                    PRIMARY KEY (run_id, position)
                );
                """),
        Migration(
            version: 7, name: "run destination uploads",
            sql: """
                -- The open multipart upload of each destination of a running fan-out run, so that crash
                -- recovery aborts every destination's upload, not only the one the run row names.
                ALTER TABLE run_destinations ADD COLUMN upload_id TEXT;
                """),
        Migration(
            version: 8, name: "verification destinations",
            sql: """
                -- The destination whose copy a verification read (a fan-out job has one copy per destination);
                -- NULL on rows written before, which every destination's listing shows.
                ALTER TABLE verifications ADD COLUMN destination TEXT;
                """),
        Migration(
            version: 9, name: "deletions by key",
            sql: """
                -- Prune's second witness asks whether it deleted a given manifest itself (then the backup's
                -- leftovers are explained): an index lookup, not a scan of every deletion of the job.
                CREATE INDEX deletions_by_key ON deletions (job, object_key);
                """),
        Migration(
            version: 10, name: "suspicious backups",
            sql: """
                -- Why a stored backup is suspicious (far smaller than its recent peers), NULL when it is not;
                -- and when an operator acknowledged it (`backupd ack`), after which it counts as a normal backup.
                ALTER TABLE runs ADD COLUMN suspicious TEXT;
                ALTER TABLE runs ADD COLUMN acknowledged_ms INTEGER;
                """),
        Migration(
            version: 11, name: "a lane for every run",
            sql: """
                -- Every run that named a destination gets its lane: a run with one destination kept its result
                -- (and its open upload) in the runs row alone. From here on every writer and reader goes through
                -- run_destinations; the runs columns destination, bucket, upload_id stay as they were written.
                INSERT INTO run_destinations (run_id, position, destination, bucket, status, object_key, bytes_stored, sha256, error, upload_id)
                SELECT r.id, 0, r.destination, r.bucket, r.status, r.object_key,
                       CASE WHEN r.status = 'succeeded' THEN r.bytes_stored END,
                       CASE WHEN r.status = 'succeeded' THEN r.sha256 END,
                       CASE WHEN r.status = 'succeeded' THEN NULL ELSE r.error END, r.upload_id
                FROM runs r
                WHERE r.destination IS NOT NULL AND r.status <> 'skipped'
                  AND NOT EXISTS (SELECT 1 FROM run_destinations d WHERE d.run_id = r.id);
                """),
        Migration(
            version: 12, name: "wal archive",
            sql: """
                -- A PITR job's WAL archiving as the daemon saw it: the newest file stored (at every destination),
                -- and the pushes that failed (count, newest time and reason), for `status` and the metrics.
                CREATE TABLE wal_archive (
                    job TEXT PRIMARY KEY,
                    last_name TEXT,
                    last_archived_ms INTEGER,
                    failures INTEGER NOT NULL DEFAULT 0,
                    last_failed_ms INTEGER,
                    last_failed_name TEXT,
                    last_error TEXT
                );
                """),
        Migration(
            version: 13, name: "wal archive backlog",
            sql: """
                -- The WAL files waiting in the server's pg_wal/archive_status as the newest wal-push that counted
                -- them saw (besides its own file), and when.
                ALTER TABLE wal_archive ADD COLUMN waiting INTEGER;
                ALTER TABLE wal_archive ADD COLUMN waiting_ms INTEGER;
                """),
    ]

    /// The schema version this build writes and reads.
    public static var schemaVersion: Int { migrations.last?.version ?? 0 }

    /// The columns of a `RunRecord`, in the order `record(from:)` reads them.
    static let columns = """
        id, job, triggered_by, scheduled_ms, started_ms, ended_ms, status, bytes_read, bytes_stored, \
        object_key, sha256, upload_id, destination, bucket, exit_status, stderr_tail, error, suspicious, acknowledged_ms
        """

    /// `columns` qualified with the `runs` table, for queries that join its lanes.
    static let runColumns = columns.split(separator: ",").map { "runs." + $0.trimmingCharacters(in: .whitespacesAndNewlines) }
        .joined(separator: ", ")

    /// How many columns `columns` selects (a query may select more after them).
    static let columnCount: Int32 = 19

    /// Reads a row selected with `columns`.
    static func record(from row: SQLiteStatement) -> RunRecord {
        RunRecord(
            id: row.int64(0) ?? 0,
            job: row.text(1) ?? "",
            trigger: row.text(2).flatMap(RunTrigger.init(rawValue:)) ?? .schedule,
            scheduledAt: row.int64(3).map(date(milliseconds:)),
            startedAt: date(milliseconds: row.int64(4) ?? 0),
            endedAt: row.int64(5).map(date(milliseconds:)),
            status: row.text(6).flatMap(RunStatus.init(rawValue:)) ?? .failed,
            bytesRead: row.int64(7),
            bytesStored: row.int64(8),
            objectKey: row.text(9),
            sha256: row.text(10),
            uploadID: row.text(11),
            destination: row.text(12),
            bucket: row.text(13),
            exitStatus: row.int64(14).map { Int32(truncatingIfNeeded: $0) },
            stderrTail: row.text(15),
            error: row.text(16),
            suspicious: row.text(17),
            acknowledgedAt: row.int64(18).map(date(milliseconds:)))
    }
}
