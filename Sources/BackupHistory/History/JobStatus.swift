import BackupCore
import Cron
import Foundation

/// One job's health for `backupd status`: last result, last success, next run, and a verdict.
///
/// A job is `ok` only when its newest attempt succeeded and that success is recent enough for its
/// schedule: one missed slot is tolerated (a daemon restart, a run queued behind others), a second
/// is not. Precisely, the newest success (its slot, or its start for a run-now) is stale once the
/// second slot after it plus the job's timeout has passed. Skipped runs are not attempts: they never
/// make a job ok or not ok by themselves, but the slots they missed count against staleness.
public struct JobStatus: Sendable {
    /// The verdict on a job.
    public enum State: String, Sendable, CaseIterable {
        /// The newest attempt succeeded and the newest backup is recent enough.
        case ok
        /// A run is in progress and the newest backup is recent enough.
        case running
        /// The scheduler does not run the job; it counts as neither ok nor not ok.
        case disabled
        /// The newest attempt did not succeed (failed, interrupted, or any other non-success).
        case failed
        /// The newest attempt stored its backup at some but not all of the job's destinations.
        case partial
        /// No run of the job ever succeeded.
        case neverSucceeded = "never-succeeded"
        /// The newest success is older than the schedule allows.
        case overdue
        /// Backups are recent, but one is suspiciously small and not acknowledged (`backupd ack`).
        case suspicious
        /// The newest verification at some destination found a stored backup damaged.
        case verificationFailed = "verification-failed"
        /// A PITR job's newest WAL push failed (nothing was stored after it).
        case archiveFailing = "archive-failing"
        /// A PITR job's newest archived WAL file is older than its `pitr.maxArchiveLag`.
        case archiveLagging = "archive-lagging"

        /// Whether `backupd status` counts the job as healthy.
        public var isOK: Bool { self == .ok || self == .running || self == .disabled }
    }

    /// The job's name.
    public var job: String
    /// Whether the scheduler runs it.
    public var enabled: Bool
    /// The newest run of any status.
    public var lastRun: RunRecord?
    /// The newest run that ended other than skipped.
    public var lastAttempt: RunRecord?
    /// The newest successful run.
    public var lastSuccess: RunRecord?
    /// The next scheduled run after now (nil when disabled).
    public var nextRun: Date?
    /// When the newest success stops being recent enough (nil without a success or a next slot).
    public var freshUntil: Date?
    /// The verdict.
    public var state: State
    /// The newest suspicious, unacknowledged backup's run, if any.
    public var suspicious: RunRecord? = nil
    /// The failed verification that makes the job not ok, if any.
    public var failedVerification: VerificationRecord? = nil
    /// A PITR job's WAL archive state, if the daemon recorded one.
    public var walArchive: WALArchiveState? = nil
    /// A PITR job's `maxArchiveLag`.
    public var maxArchiveLag: Duration? = nil
    /// A PITR job's `maxArchiveBacklog`.
    public var maxArchiveBacklog: Int? = nil

    /// The memberwise initialiser, for the package's other targets.
    package init(job: String, enabled: Bool, lastRun: RunRecord? = nil, lastAttempt: RunRecord? = nil, lastSuccess: RunRecord? = nil, nextRun: Date? = nil, freshUntil: Date? = nil, state: State, suspicious: RunRecord? = nil, failedVerification: VerificationRecord? = nil,
        walArchive: WALArchiveState? = nil, maxArchiveLag: Duration? = nil, maxArchiveBacklog: Int? = nil
    ) {
        self.maxArchiveBacklog = maxArchiveBacklog
        self.job = job
        self.enabled = enabled
        self.lastRun = lastRun
        self.lastAttempt = lastAttempt
        self.lastSuccess = lastSuccess
        self.nextRun = nextRun
        self.freshUntil = freshUntil
        self.state = state
        self.suspicious = suspicious
        self.failedVerification = failedVerification
        self.walArchive = walArchive
        self.maxArchiveLag = maxArchiveLag
    }

    /// Whether the job is counted as healthy.
    public var isOK: Bool { state.isOK }
    /// True when the newest backup is older than the schedule allows.
    public var overdue: Bool { state == .overdue }

    /// Why a job is not ok, in one line (nil when it is).
    public func problem(time: (Date) -> String) -> String? {
        switch state {
        case .ok, .running, .disabled:
            return nil
        case .failed, .partial:
            guard let attempt = lastAttempt else { return nil }
            let firstLine = attempt.error?.split(whereSeparator: \.isNewline).first.map(String.init)
            let reason = firstLine.map { ": " + HistoryRenderer.oneLine($0) } ?? ""
            return "\(job): run \(attempt.id) \(attempt.status.rawValue) at \(time(attempt.startedAt))\(reason)"
        case .neverSucceeded:
            let running = lastRun?.status == .running ? "; its first run is in progress" : ""
            return "\(job): no run has succeeded yet\(running)"
        case .overdue:
            let newest = lastSuccess.map { time($0.startedAt) } ?? "never"
            return "\(job): the newest backup started \(newest); a newer one was due by \(freshUntil.map(time) ?? "now")"
        case .verificationFailed:
            guard let record = failedVerification else { return nil }
            let at = record.destination.map { " at \($0)" } ?? ""
            let reason = record.error?.split(whereSeparator: \.isNewline).first.map { ": " + HistoryRenderer.oneLine(String($0)) } ?? ""
            return "\(job): the verification of backup \(record.backupID)\(at) failed at \(time(record.endedAt))\(reason); "
                + "not ok until a later verification passes (`backupd verify \(job)`)"
        case .archiveFailing:
            guard let wal = walArchive else { return nil }
            let reason = wal.lastError?.split(whereSeparator: \.isNewline).first.map { ": " + HistoryRenderer.oneLine(String($0)) } ?? ""
            return "\(job): WAL archiving fails: the push of \(wal.lastFailedName ?? "?") failed at \(wal.lastFailed.map(time) ?? "?")\(reason); "
                + "PostgreSQL keeps the WAL and retries (\(wal.failures) failed push(es) in all)"
        case .archiveLagging:
            if let wal = walArchive, wal.backlogged(limit: maxArchiveBacklog), let waiting = wal.waiting {
                return "\(job): \(waiting) WAL file(s) were waiting in pg_wal/archive_status at the push at \(wal.waitingCounted.map(time) ?? "?"), "
                    + "more than pitr.maxArchiveBacklog (\(maxArchiveBacklog ?? 0)); archiving does not keep up (pg_stat_archiver, the daemon's log)"
            }
            let limit = maxArchiveLag.map(DurationText.format) ?? "?"
            return "\(job): the newest archived WAL file \(walArchive?.lastName ?? "?") was stored at \(walArchive?.lastArchived.map(time) ?? "?"), "
                + "longer ago than pitr.maxArchiveLag (\(limit)); is PostgreSQL archiving (pg_stat_archiver)?"
        case .suspicious:
            guard let run = suspicious else { return nil }
            let id = run.backupID ?? run.objectKey ?? "?"
            return "\(job): run \(run.id) at \(time(run.startedAt)) stored the suspicious backup \(id) (\(run.suspicious ?? "")); "
                + "check it (`backupd verify \(job) \(id)`), then `backupd ack \(job) \(id)`"
        }
    }

    /// A PITR job's archive in one line (nil for other jobs and before the first push):
    /// the newest file stored and the files waiting in `pg_wal/archive_status` at the newest push.
    public func archiveLine(time: (Date) -> String) -> String? {
        guard let wal = walArchive else { return nil }
        let newest = wal.lastName.map { "newest \($0) at \(wal.lastArchived.map(time) ?? "?")" } ?? "nothing archived yet"
        let waiting = wal.waiting.map { "; \($0) waiting in pg_wal/archive_status at \(wal.waitingCounted.map(time) ?? "?")" } ?? ""
        return "\(job): WAL archive: \(newest)\(waiting)"
    }

    /// A table: job, last result (with its time), last success, next run and verdict, then one
    /// line per job that is not ok saying why.
    public static func table(_ statuses: [JobStatus], time: (Date) -> String) -> String {
        withoutActuallyEscaping(time) { time in table(statuses, zone: { _ in time }) }
    }

    /// The table with each job's times written by `zone(job)` (the job's own time zone).
    public static func table(_ statuses: [JobStatus], zone: (String) -> (Date) -> String) -> String {
        var rows = [["JOB", "LAST RUN", "LAST SUCCESS", "NEXT RUN", "STATE"]]
        for s in statuses {
            let time = zone(s.job)
            let lastRun = s.lastRun.map { "\($0.status.rawValue) \(time($0.startedAt))" } ?? "never"
            let lastSuccess = s.lastSuccess.map { time($0.startedAt) } ?? "never"
            let next = s.nextRun.map(time) ?? "disabled"
            let state = s.isOK ? s.state.rawValue : s.state.rawValue.uppercased()
            rows.append([s.job, lastRun, lastSuccess, next, state])
        }
        var widths = [Int](repeating: 0, count: rows[0].count)
        for row in rows { for (i, cell) in row.enumerated() { widths[i] = max(widths[i], cell.count) } }
        var lines = rows.map { row in
            row.enumerated().map { i, cell in i == row.count - 1 ? cell : cell.padding(toLength: widths[i] + 2, withPad: " ", startingAt: 0) }.joined()
        }
        let problems = statuses.compactMap { $0.problem(time: zone($0.job)) }
        if !problems.isEmpty { lines += [""] + problems }
        let archives = statuses.compactMap { $0.archiveLine(time: zone($0.job)) }
        if !archives.isEmpty { lines += [""] + archives }
        return lines.joined(separator: "\n") + "\n"
    }
}
