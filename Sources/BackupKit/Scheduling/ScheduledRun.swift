import BackupHistory
import Foundation

/// One run the scheduler decided about: which job, why, and for which slot.
public struct ScheduledRun: Sendable, Hashable {
    /// The job's name.
    public var job: String
    /// Why the run exists.
    public var trigger: RunTrigger
    /// The slot this run is for (for a catch-up run, the first missed slot; for run-now, the request time).
    public var scheduledFor: Date

    /// Creates a run description.
    public init(job: String, trigger: RunTrigger, scheduledFor: Date) {
        self.job = job
        self.trigger = trigger
        self.scheduledFor = scheduledFor
    }
}
