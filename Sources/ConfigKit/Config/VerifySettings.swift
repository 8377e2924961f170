import Cron

/// When backups are verified: `"verify": {"schedule": "CRON", "afterBackup": true, "restoreTo": "SCRATCH"}`,
/// per job or at the top level (a job's keys override the top level's one by one).
public struct VerifySettings: Sendable {
    /// Verify the latest backup on this schedule (in the job's time zone).
    public var schedule: CronExpression?
    /// Re-read each backup right after it is written.
    public var afterBackup: Bool?
    /// With the schedule: also restore into this scratch database (postgres and mysql jobs).
    public var restoreTo: String?
    /// With the schedule: a PITR job's restore drill into a scratch directory under this one (absolute).
    public var restoreToDir: String? = nil

    /// Describes verification settings; unset keys fall back to the top level's.
    public init(schedule: CronExpression? = nil, afterBackup: Bool? = nil, restoreTo: String? = nil, restoreToDir: String? = nil) {
        self.schedule = schedule
        self.afterBackup = afterBackup
        self.restoreTo = restoreTo
        self.restoreToDir = restoreToDir
    }

    /// These settings over `base` (the top level's), key by key.
    public func over(_ base: VerifySettings?) -> VerifySettings {
        VerifySettings(
            schedule: schedule ?? base?.schedule, afterBackup: afterBackup ?? base?.afterBackup, restoreTo: restoreTo ?? base?.restoreTo,
            restoreToDir: restoreToDir ?? base?.restoreToDir)
    }
}
