import BackupHistory
import ConfigKit
import Cron
import Foundation

extension JobStatus {
    /// Computes every job's status from the config and the history's newest rows at `now`.
    public static func compute(config: BackupConfig, rows: JobStatusRows, now: Date) -> [JobStatus] {
        config.jobs.map { job in
            let last = rows.lastRuns[job.name]
            let attempt = rows.lastAttempts[job.name]
            let success = rows.lastSuccesses[job.name]
            let schedule = job.cronSchedule
            let freshUntil = success.flatMap { success -> Date? in
                let reference = success.scheduledAt ?? success.startedAt
                guard let first = schedule.next(after: reference), let second = schedule.next(after: first) else { return nil }
                return second.addingTimeInterval(Double(job.timeout.components.seconds))
            }
            let state: State
            if !job.enabled {
                state = .disabled
            } else if let attempt, attempt.status == .partial {
                state = .partial
            } else if let attempt, attempt.status != .succeeded {
                state = .failed
            } else if success == nil {
                state = .neverSucceeded
            } else if let freshUntil, freshUntil < now {
                state = .overdue
            } else if rows.failedVerifications[job.name] != nil {
                state = .verificationFailed
            } else if job.pitr != nil, rows.walArchives[job.name]?.isFailing == true {
                state = .archiveFailing
            } else if let pitr = job.pitr, let wal = rows.walArchives[job.name],
                wal.lags(now: now, limit: pitr.maxArchiveLag) || wal.backlogged(limit: pitr.maxArchiveBacklog)
            {
                state = .archiveLagging
            } else if rows.suspicious[job.name] != nil {
                state = .suspicious
            } else {
                state = last?.status == .running ? .running : .ok
            }
            return JobStatus(
                job: job.name, enabled: job.enabled, lastRun: last, lastAttempt: attempt, lastSuccess: success,
                nextRun: job.enabled ? schedule.next(after: now) : nil, freshUntil: freshUntil, state: state,
                suspicious: rows.suspicious[job.name], failedVerification: rows.failedVerifications[job.name],
                walArchive: rows.walArchives[job.name], maxArchiveLag: job.pitr?.maxArchiveLag, maxArchiveBacklog: job.pitr?.maxArchiveBacklog)
        }
    }
}
