import Logging

/// `"verify": {"afterBackup": true}`: re-reads each backup right after it is written (digests,
/// compression, format) and records the verification (trigger `after-backup`) in the run's history.
public struct AfterBackupVerifier: RunObserver {
    /// Verifies (its own `history` is replaced by the recorder's).
    public let runner: VerifyRunner

    /// An observer that verifies through `runner`.
    public init(runner: VerifyRunner) {
        self.runner = runner
    }

    public func runRecorded(
        runID: Int64, run: ScheduledRun, job: JobConfig, config: BackupConfig, outcome: RunOutcome, history: HistoryStore, logger: Logger
    ) {
        let runner = VerifyRunner(
            stores: self.runner.stores, launcher: self.runner.launcher, environment: self.runner.environment, clock: self.runner.clock,
            history: history, secretsParent: self.runner.secretsParent)
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
