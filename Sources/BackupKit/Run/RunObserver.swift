import BackupCore
import BackupHistory
import ConfigKit
import Foundation
import Logging

/// Work that follows a recorded run: after-backup verification, retention, notifications and
/// metrics. `RunRecorder` (shared by the daemon and `run-now`) calls every observer once the
/// run's row exists and again once its outcome is in the history. Calls come in the run's own task:
/// an observer never throws (it logs), and one doing network work that must not delay the
/// result (a notification) hands it off and returns at once.
public protocol RunObserver: Sendable {
    /// A run started (its `running` row exists).
    func runStarted(_ run: ObservedRun)
    /// A run ended with `outcome`, already recorded; `logger` carries the run's `job` and `run` fields.
    func runFinished(_ run: ObservedRun, outcome: RunOutcome, config: BackupConfig, logger: Logger) async
}

extension RunObserver {
    /// Most observers only act on the outcome.
    public func runStarted(_ run: ObservedRun) {}
}

/// What an observer is told about a run.
public struct ObservedRun: Sendable {
    /// The history row's id.
    public var runID: Int64
    /// The job, as configured for this run.
    public var job: JobConfig
    /// The bucket of each of the job's destinations that has one configured, by destination name
    /// (the run has one lane per destination of `job`, in its order).
    public var buckets: [String: String]
    /// Why the run started.
    public var trigger: RunTrigger
    /// The slot the run is for.
    public var scheduledFor: Date?
    /// When it started.
    public var startedAt: Date

    /// Describes a run whose destinations' buckets are `buckets` (by destination name).
    public init(
        runID: Int64, job: JobConfig, buckets: [String: String], trigger: RunTrigger, scheduledFor: Date?, startedAt: Date
    ) {
        self.runID = runID
        self.job = job
        self.buckets = buckets
        self.trigger = trigger
        self.scheduledFor = scheduledFor
        self.startedAt = startedAt
    }
}

extension ObservedRun {
    /// Describes a run whose destination `destination` has `bucket` (the job's other destinations, if any, without one).
    public init(
        runID: Int64, job: JobConfig, destination: String, bucket: String?, trigger: RunTrigger, scheduledFor: Date?, startedAt: Date
    ) {
        self.init(
            runID: runID, job: job, buckets: bucket.map { [destination: $0] } ?? [:], trigger: trigger, scheduledFor: scheduledFor,
            startedAt: startedAt)
    }

    /// The run's destinations in the job's order, each with its bucket when known.
    public var destinations: [(name: String, bucket: String?)] {
        job.destinations.map { (name: $0, bucket: buckets[$0]) }
    }
}
