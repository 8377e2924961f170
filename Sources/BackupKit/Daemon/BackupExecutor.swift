import Foundation
import Logging

/// Takes one backup of a job: the daemon's and `run-now`'s seam to the dump pipeline and S3.
public protocol BackupExecutor: Sendable {
    /// Runs `job`'s backup to completion or failure and describes the result. Reports the upload
    /// id through `progress` as soon as the upload exists (before the first part is sent), and
    /// stops (killing the tool, aborting the upload) when `cancellation` fires.
    func execute(
        job: JobConfig, config: BackupConfig, startedAt: Date, cancellation: RunCancellation,
        progress: @escaping @Sendable (RunProgress) -> Void, logger: Logger
    ) -> RunOutcome
}
