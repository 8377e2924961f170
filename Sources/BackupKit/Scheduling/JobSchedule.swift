import Foundation

/// When a job is due: the whole contract between the scheduler and a schedule.
///
/// `CronSchedule` conforms; tests use simple fakes (every N seconds).
public protocol JobSchedule: Sendable {
    /// The first due time strictly after `date`, or nil when the schedule never fires again.
    func next(after date: Date) -> Date?
}
