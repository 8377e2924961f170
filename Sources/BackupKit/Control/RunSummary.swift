import BackupHistory
import ConfigKit
import Foundation

/// The result of one run as `run-now` prints it, whether the run happened in this process or in
/// the daemon (then it travels over the control socket as JSON).
public struct RunSummary: Codable, Sendable, Equatable {
    /// The job.
    public var job: String
    /// The run's id in the history (nil when the run could not even be recorded).
    public var runID: Int64?
    /// `succeeded`, `partial`, `failed` or `interrupted` (a `RunStatus`).
    public var status: String
    /// How long it took.
    public var seconds: Double
    /// The destination's bucket.
    public var bucket: String
    /// The stored object.
    public var objectKey: String?
    /// Its size.
    public var bytesStored: Int64?
    /// Bytes of dump read.
    public var bytesRead: Int64?
    /// The SHA-256 of the stored object.
    public var sha256: String?
    /// The backup's manifest (written last: the backup exists because it does).
    public var manifestKey: String?
    /// Why it failed.
    public var error: String?
    /// The end of the tool's stderr.
    public var stderrTail: String?
    /// Each destination's result when the job has several (nil for one destination).
    public var destinations: [DestinationOutcome]?
    /// Why the stored backup is suspicious (far smaller than its peers); nil when it is not.
    public var suspicious: String?
    /// The stored backup's id (for `backupd ack`).
    public var backupID: String?

    /// Whether the run succeeded.
    public var succeeded: Bool { status == RunStatus.succeeded.rawValue }
    /// Whether the backup was stored at some but not all of the job's destinations.
    public var partial: Bool { status == RunStatus.partial.rawValue }

    /// The summary of `outcome`, a run of `job` started at `startedAt`.
    public init(job: JobConfig, config: BackupConfig, runID: Int64?, outcome: RunOutcome, startedAt: Date) {
        self.job = job.name
        self.runID = runID
        status = outcome.status.rawValue
        seconds = outcome.endedAt.timeIntervalSince(startedAt)
        // The bucket of a lane that holds the object (any lane when none does: the run failed).
        let lane = outcome.destinations.first { $0.status == .succeeded } ?? outcome.destinations.first
        bucket = lane?.bucket ?? config.destination(named: lane?.destination ?? job.destination)?.bucket ?? job.destination
        objectKey = outcome.objectKey
        bytesStored = outcome.bytesStored
        bytesRead = outcome.bytesRead
        sha256 = outcome.sha256
        manifestKey = outcome.objectKey
            .flatMap { ObjectName.parse($0, prefix: job.prefix, job: job.name)?.backupID }
            .map { ObjectName.manifestKey(prefix: job.prefix, backupID: $0) }
        error = outcome.error
        stderrTail = outcome.stderrTail
        // `docs/json.md`: every run's lanes, one per destination, whatever their number.
        destinations = outcome.destinations
        suspicious = outcome.suspicious
        backupID = outcome.objectKey.flatMap { ObjectName.parse($0, prefix: job.prefix, job: job.name)?.backupID }
    }
}
