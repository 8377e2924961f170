import BackupHistory
import Foundation

/// What `RunRecorder` reports while a run goes on (the control socket streams these to run-now).
public enum RunEvent: Sendable {
    /// The run's row exists.
    case started(runID: Int64, startedAt: Date)
    /// The executor reported progress (the upload started).
    case progress(runID: Int64, RunProgress)
}
