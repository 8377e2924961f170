import Foundation

/// What the scheduler state machine asks its driver to do.
public enum SchedulerAction: Sendable, Hashable {
    /// Start this run now; report its end with `runFinished(job:)`.
    case start(ScheduledRun)
    /// Do not start this run; record it as skipped with the reason.
    case skip(ScheduledRun, reason: SkipReason)
    /// The run waits for a free slot under `maxConcurrentJobs`; a later `start` follows.
    case queued(ScheduledRun)
    /// Wake the scheduler (call `tick(now:)`) at this wall-clock time.
    case armTimer(at: Date)
    /// Nothing is scheduled any more: no timer is needed.
    case disarmTimer
}
