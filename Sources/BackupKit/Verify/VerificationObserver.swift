import BackupHistory
import ConfigKit
import Logging

/// Work that follows a recorded verification: metrics and notifications. `VerifyRunner` calls every
/// observer once per verified backup, on the verification's own thread; an observer never throws
/// (it logs) and hands network work off at once.
public protocol VerificationObserver: Sendable {
    /// `record` (passed, failed, or could not run) was recorded for `job`; `logger` carries the
    /// job and backup fields.
    func verificationFinished(_ record: VerificationRecord, job: JobConfig, logger: Logger)
}
