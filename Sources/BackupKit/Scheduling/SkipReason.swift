import BackupCore
import ConfigKit
import Foundation

/// Why the scheduler did not start a run; its description is what the history records.
public enum SkipReason: Sendable, Hashable, CustomStringConvertible {
    /// The previous run of the same job had not finished.
    case stillRunning
    /// A run of the same job was still waiting for a free slot under `maxConcurrentJobs`.
    case alreadyQueued
    /// The slot was missed (daemon down, suspend) and the job's catch-up policy is `none`.
    case missed
    /// The wall clock was set forward by `step` seconds over `slot` (as the schedule shows it);
    /// `through` is set on the last row when more slots were jumped over than are listed one by one.
    case clockSteppedForward(by: TimeInterval, slot: String, through: String? = nil)
    /// The job left the configuration while its run waited in the queue.
    case jobRemoved
    /// A run was requested for a job the scheduler does not know.
    case unknownJob

    /// The sentence recorded in the history for a skipped run.
    public var description: String {
        switch self {
        case .stillRunning:
            "skipped: the previous run of this job was still running (a job never runs twice at once)"
        case .alreadyQueued:
            "skipped: an earlier run of this job was still queued waiting for a free slot (maxConcurrentJobs)"
        case .missed:
            "skipped: the scheduled time was missed (backupd not running, suspend or clock change) and catchUp is \"none\""
        case .clockSteppedForward(let step, let slot, nil):
            "skipped: clock stepped forward \(Self.size(step)): slot \(slot) was jumped over"
        case .clockSteppedForward(let step, let slot, let through?):
            "skipped: clock stepped forward \(Self.size(step)): slot \(slot) and every later slot through \(through) were jumped over "
                + "(only the first \(SchedulerStateMachine.maxSkippedRowsPerStep) have a row each)"
        case .jobRemoved:
            "skipped: the job was removed from the configuration while its run was queued"
        case .unknownJob:
            "skipped: no job with this name in the configuration"
        }
    }

    /// A step's size as `2h`, `1h30m` or `45s`.
    static func size(_ seconds: TimeInterval) -> String {
        DurationText.format(.seconds(Int64(abs(seconds).rounded())))
    }
}
