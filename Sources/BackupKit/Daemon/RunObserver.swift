import Logging

/// Work that follows a recorded run (retention prune, history retention, later notifications and
/// metrics). `RunRecorder` calls every observer after the outcome is in the history, for the
/// daemon and `run-now` alike; an observer handles its own errors.
public protocol RunObserver: Sendable {
    /// Called once per run after its outcome is recorded.
    func runFinished(runID: Int64, outcome: RunOutcome, job: JobConfig, config: BackupConfig, logger: Logger)
}
