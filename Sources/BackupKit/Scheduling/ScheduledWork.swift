import ConfigKit
import Cron
import Foundation

/// What an item of the scheduler stands for. The state machine knows items by name only; a job's
/// backup is the job's own name and the scheduled verification of its latest backup is
/// `verify:NAME` (a colon is never in a job name), so both obey the same overlap rule and share
/// `maxConcurrentJobs`.
public enum ScheduledWork: Sendable, Hashable {
    /// A backup of the job.
    case backup(job: String)
    /// A verification of the job's latest backup (its `verify.schedule`).
    case verification(job: String)

    static let verificationPrefix = "verify:"

    /// The work an item of the scheduler (`ScheduledRun.job`) stands for.
    public init(item name: String) {
        if name.hasPrefix(Self.verificationPrefix) {
            self = .verification(job: String(name.dropFirst(Self.verificationPrefix.count)))
        } else {
            self = .backup(job: name)
        }
    }

    /// The item's name in the scheduler.
    public var item: String {
        switch self {
        case .backup(let job): job
        case .verification(let job): Self.verificationPrefix + job
        }
    }

    /// The scheduled verifications of `config` as scheduler items: one per enabled job with a
    /// `verify.schedule`, in its time zone; occurrences that pass while it runs or while the
    /// daemon is down are skipped (never caught up).
    public static func verificationItems(_ config: BackupConfig) -> [ScheduledJob] {
        config.jobs.filter(\.enabled).compactMap { job in
            guard let expression = config.verifySettings(for: job)?.schedule else { return nil }
            return ScheduledJob(
                name: ScheduledWork.verification(job: job.name).item, schedule: CronSchedule(expression, in: job.timeZone), catchUp: .none)
        }
    }
}
