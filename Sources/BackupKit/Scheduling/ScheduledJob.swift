import ConfigKit
import Foundation

/// A job as the scheduler sees it: a name, a schedule and what to do about missed runs.
public struct ScheduledJob: Sendable {
    /// The job's unique name (from the config).
    public var name: String
    /// When the job is due.
    public var schedule: any JobSchedule
    /// What to do about a missed slot.
    public var catchUp: CatchUpPolicy
    /// The latest scheduled or start time of the job's last recorded run (from the history),
    /// nil when it never ran. Only read when the job is first added to the scheduler.
    public var lastRun: Date?

    /// Describes a job; `lastRun` comes from the history at start.
    public init(name: String, schedule: any JobSchedule, catchUp: CatchUpPolicy = .once, lastRun: Date? = nil) {
        self.name = name
        self.schedule = schedule
        self.catchUp = catchUp
        self.lastRun = lastRun
    }
}
