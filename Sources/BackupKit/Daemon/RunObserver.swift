import Foundation

/// Hears about every run `RunRecorder` records, after the history row is written: notifications
/// and metrics. Calls come on the backup's own thread, so an observer returns at once and does
/// slow work (the network) elsewhere; it cannot fail or delay the backup.
public protocol RunObserver: Sendable {
    /// A run started (its `running` row exists).
    func runStarted(_ run: ObservedRun)
    /// A run ended with `outcome` (already recorded).
    func runFinished(_ run: ObservedRun, outcome: RunOutcome)
}

/// What an observer is told about a run.
public struct ObservedRun: Sendable {
    /// The history row's id.
    public var runID: Int64
    /// The job, as configured for this run.
    public var job: JobConfig
    /// The destination's name.
    public var destination: String
    /// The destination's bucket, when configured.
    public var bucket: String?
    /// Why the run started.
    public var trigger: RunTrigger
    /// The slot the run is for.
    public var scheduledFor: Date?
    /// When it started.
    public var startedAt: Date

    /// Describes a run.
    public init(runID: Int64, job: JobConfig, destination: String, bucket: String?, trigger: RunTrigger, scheduledFor: Date?, startedAt: Date) {
        self.runID = runID
        self.job = job
        self.destination = destination
        self.bucket = bucket
        self.trigger = trigger
        self.scheduledFor = scheduledFor
        self.startedAt = startedAt
    }
}
