import Foundation

/// When a job is due: the whole contract between the scheduler and a schedule.
///
/// `CronSchedule` conforms; tests use simple fakes (every N seconds).
public protocol JobSchedule: Sendable {
    /// The first due time strictly after `date`, or nil when the schedule never fires again.
    func next(after date: Date) -> Date?
    /// Whether a backward clock step restarts this schedule at the new time at once (Debian cron's
    /// wildcard jobs, `* * * * *`) instead of keeping every slot to at most one run (fixed-time jobs).
    var resumesAfterClockStepBack: Bool { get }
    /// A slot as the history's skip reasons show it.
    func describe(_ slot: Date) -> String
}

extension JobSchedule {
    /// Fixed-time by default: a slot never runs twice.
    public var resumesAfterClockStepBack: Bool { false }

    /// The slot in UTC, `2026-03-29T01:00:00Z`.
    public func describe(_ slot: Date) -> String { slot.formatted(.iso8601) }
}
