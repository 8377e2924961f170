import BackupCore
import BackupHistory
import ConfigKit
import Foundation
import Logging

/// Takes one backup of a job: the daemon's and `run-now`'s seam to the dump pipeline and S3.
public protocol BackupExecutor: Sendable {
    /// Runs `job`'s backup to completion or failure and describes the result. Reports the upload
    /// id through `progress` as soon as the upload exists (before the first part is sent), and
    /// stops (killing the tool, aborting the upload) when its task is cancelled (`StopReason` says why).
    func execute(
        job: JobConfig, config: BackupConfig, startedAt: Date,
        progress: @escaping @Sendable (RunProgress) -> Void, logger: Logger
    ) async -> RunOutcome

    /// `execute` for a known history run, whose id and trigger the backup's manifest records.
    func execute(
        run: RunIdentity, job: JobConfig, config: BackupConfig, startedAt: Date,
        progress: @escaping @Sendable (RunProgress) -> Void, logger: Logger
    ) async -> RunOutcome
}

extension BackupExecutor {
    /// Executors that do not record the run take the plain call.
    public func execute(
        run: RunIdentity, job: JobConfig, config: BackupConfig, startedAt: Date,
        progress: @escaping @Sendable (RunProgress) -> Void, logger: Logger
    ) async -> RunOutcome {
        await execute(job: job, config: config, startedAt: startedAt, progress: progress, logger: logger)
    }
}
