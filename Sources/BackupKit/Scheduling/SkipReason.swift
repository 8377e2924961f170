/// Why the scheduler did not start a run; its description is what the history records.
public enum SkipReason: String, Sendable, Hashable, CustomStringConvertible {
    /// The previous run of the same job had not finished.
    case stillRunning = "still-running"
    /// A run of the same job was still waiting for a free slot under `maxConcurrentJobs`.
    case alreadyQueued = "already-queued"
    /// The slot was missed (daemon down, suspend, clock step) and the job's catch-up policy is `none`.
    case missed
    /// The job left the configuration while its run waited in the queue.
    case jobRemoved = "job-removed"
    /// A run was requested for a job the scheduler does not know.
    case unknownJob = "unknown-job"

    /// The sentence recorded in the history for a skipped run.
    public var description: String {
        switch self {
        case .stillRunning:
            "skipped: the previous run of this job was still running (a job never runs twice at once)"
        case .alreadyQueued:
            "skipped: an earlier run of this job was still queued waiting for a free slot (maxConcurrentJobs)"
        case .missed:
            "skipped: the scheduled time was missed (backupd not running, suspend or clock change) and catchUp is \"none\""
        case .jobRemoved:
            "skipped: the job was removed from the configuration while its run was queued"
        case .unknownJob:
            "skipped: no job with this name in the configuration"
        }
    }
}
