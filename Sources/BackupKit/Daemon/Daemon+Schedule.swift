import BackupHistory
import ConfigKit
import Foundation

extension Daemon {
    /// What the daemon's one scheduler schedules under `config`: each enabled job's backups, with
    /// its last run from `history` for the catch-up rules, then (with `verifications`) each
    /// scheduled verification (`ScheduledWork.verificationItems`).
    static func scheduledItems(_ config: BackupConfig, history: HistoryStore, verifications: Bool) throws -> [ScheduledJob] {
        let enabled = config.jobs.filter(\.enabled)
        let last = try history.lastRuns(jobs: enabled.map(\.name))
        let backups = enabled.map { job in
            let record = last[job.name]
            let lastRun = record.map { max($0.scheduledAt ?? $0.startedAt, $0.startedAt) }
            return ScheduledJob(name: job.name, schedule: job.cronSchedule, catchUp: job.catchUp, lastRun: lastRun)
        }
        return backups + (verifications ? ScheduledWork.verificationItems(config) : [])
    }

    /// The scheduler's tunables under `config`.
    static func schedulerConfiguration(_ config: BackupConfig) -> SchedulerStateMachine.Configuration {
        SchedulerStateMachine.Configuration(maxConcurrentJobs: config.maxConcurrentJobs)
    }
}
