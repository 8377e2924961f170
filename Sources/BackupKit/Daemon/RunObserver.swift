import Logging

/// Work that follows a recorded run (after-backup verification; later retention, notifications):
/// `RunRecorder` calls each observer once the outcome is in the history.
public protocol RunObserver: Sendable {
    /// Called after `outcome` of run `runID` of `job` was recorded in `history` (record through
    /// this store: a second store on the same file in one process breaks SQLite's locks). Must not
    /// throw; log instead.
    func runRecorded(
        runID: Int64, run: ScheduledRun, job: JobConfig, config: BackupConfig, outcome: RunOutcome, history: HistoryStore, logger: Logger)
}
