import Cron
import Foundation

/// One job's health for `backupd status`: last result, last success, next run, overdue.
public struct JobStatus: Sendable {
    /// The job's name.
    public var job: String
    /// Whether the scheduler runs it.
    public var enabled: Bool
    /// The newest run of any status.
    public var lastRun: RunRecord?
    /// The newest successful run.
    public var lastSuccess: RunRecord?
    /// The next scheduled run after now (nil when disabled).
    public var nextRun: Date?
    /// True when a scheduled backup should have succeeded by now and has not.
    public var overdue: Bool

    /// True when the job needs attention: overdue, or its last run stored the backup at only some destinations.
    public var needsAttention: Bool { overdue || lastRun?.status == .partial }

    /// Computes every job's status from the config and the history's newest rows.
    ///
    /// A job is overdue when its first slot after the last success (or, with no success yet, after
    /// its first recorded run) plus the job's timeout lies in the past and no run is in progress.
    public static func compute(config: BackupConfig, lastRuns: [String: RunRecord], lastSuccesses: [String: RunRecord], now: Date) -> [JobStatus] {
        config.jobs.map { job in
            let last = lastRuns[job.name]
            let success = lastSuccesses[job.name]
            let schedule = job.cronSchedule
            var overdue = false
            if job.enabled, last?.status != .running {
                let reference = success.map { $0.scheduledAt ?? $0.startedAt } ?? (last.map { $0.scheduledAt ?? $0.startedAt })
                if let reference, let due = schedule.next(after: reference) {
                    overdue = due.addingTimeInterval(Double(job.timeout.components.seconds)) < now
                } else if last != nil {
                    overdue = success == nil
                }
            }
            return JobStatus(
                job: job.name, enabled: job.enabled, lastRun: last, lastSuccess: success,
                nextRun: job.enabled ? schedule.next(after: now) : nil, overdue: overdue)
        }
    }

    /// A table: job, last result (with its time), last success, next run, and OVERDUE marks.
    public static func table(_ statuses: [JobStatus], time: (Date) -> String) -> String {
        var rows = [["JOB", "LAST RUN", "LAST SUCCESS", "NEXT RUN", "STATE"]]
        for s in statuses {
            let lastRun = s.lastRun.map { "\($0.status.rawValue) \(time($0.startedAt))" } ?? "never"
            let lastSuccess = s.lastSuccess.map { time($0.startedAt) } ?? "never"
            let next = s.nextRun.map(time) ?? "disabled"
            let state = s.overdue ? "OVERDUE" : s.lastRun?.status == .partial ? "PARTIAL" : (s.lastRun?.status == .running ? "running" : (s.enabled ? "ok" : "disabled"))
            rows.append([s.job, lastRun, lastSuccess, next, state])
        }
        var widths = [Int](repeating: 0, count: rows[0].count)
        for row in rows { for (i, cell) in row.enumerated() { widths[i] = max(widths[i], cell.count) } }
        return rows.map { row in
            row.enumerated().map { i, cell in i == row.count - 1 ? cell : cell.padding(toLength: widths[i] + 2, withPad: " ", startingAt: 0) }.joined()
        }.joined(separator: "\n") + "\n"
    }
}
