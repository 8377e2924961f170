import ConfigKit
import Cron
import Foundation

/// The pure timing of scheduled verifications: which job is due next after an instant.
public enum VerifySchedule {
    /// One due verification.
    public struct Due: Sendable, Hashable {
        /// The job.
        public var job: String
        /// When it is due.
        public var at: Date
    }

    /// The earliest due verification strictly after `instant` of every enabled job that has a
    /// `verify.schedule` (ties: every job due at that instant, in config order).
    public static func next(after instant: Date, in config: BackupConfig) -> [Due] {
        var due: [Due] = []
        for job in config.jobs where job.enabled {
            guard let expression = config.verifySettings(for: job)?.schedule,
                  let at = CronSchedule(expression, in: job.timeZone).next(after: instant) else { continue }
            due.append(Due(job: job.name, at: at))
        }
        guard let first = due.map(\.at).min() else { return [] }
        return due.filter { $0.at == first }
    }
}
