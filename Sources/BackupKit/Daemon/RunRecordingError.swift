import BackupHistory
import Foundation

/// The history could not record a run.
public enum RunRecordingError: Error, Sendable, CustomStringConvertible {
    /// The start could not be recorded, so the run was not taken.
    case notStarted(job: String, scheduledFor: Date, reason: String)
    /// The run ended but its end could not be recorded; the next start reconciles it.
    case notFinished(job: String, runID: Int64, outcome: RunOutcome, reason: String)

    public var description: String {
        switch self {
        case .notStarted(let job, let slot, let reason):
            return "the run of job \(job) for \(ISO8601DateFormatter().string(from: slot)) was NOT taken: its start cannot be recorded in the history: \(reason)"
        case .notFinished(let job, let runID, let outcome, let reason):
            return "run \(runID) of job \(job) ended \(outcome.status.rawValue) but its end cannot be recorded in the history (\(reason)); the next start of backupd reconciles it with the destination"
        }
    }
}
