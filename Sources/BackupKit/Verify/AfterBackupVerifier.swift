import Logging

/// `"verify": {"afterBackup": true}`: re-reads each backup right after it is written (digests,
/// compression, format) and records the verification (trigger `after-backup`).
public struct AfterBackupVerifier: RunObserver {
    /// Verifies and records.
    public let runner: VerifyRunner

    /// An observer that verifies through `runner`.
    public init(runner: VerifyRunner) {
        self.runner = runner
    }

    public func runRecorded(runID: Int64, run: ScheduledRun, job: JobConfig, config: BackupConfig, outcome: RunOutcome, logger: Logger) {
        guard outcome.status == .succeeded, config.verifySettings(for: job)?.afterBackup == true,
              let key = outcome.objectKey, let id = ObjectName.parse(key, prefix: job.prefix, job: job.name)?.backupID
        else { return }
        do {
            _ = try runner.run(job: job, config: config, selection: .backup(id), trigger: .afterBackup, logger: logger)
        } catch {
            logger.error("verification after the backup could not run", metadata: ["backup.id": "\(id)", "error": "\(error)"])
        }
    }
}
