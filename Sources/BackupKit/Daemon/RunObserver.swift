import Logging

/// Work that follows a recorded run (after-backup verification; later retention, notifications):
/// `RunRecorder` calls each observer once the outcome is in the history.
public protocol RunObserver: Sendable {
    /// Called after `outcome` of run `runID` of `job` was recorded. Must not throw; log instead.
    func runRecorded(runID: Int64, run: ScheduledRun, job: JobConfig, config: BackupConfig, outcome: RunOutcome, logger: Logger)
}
