extension JobConfig {
    /// The destination a job narrowed to one (`only(destination:)`) works on, and the first listed
    /// otherwise: what commands that read a single copy (list, restore) default to.
    public var destination: String { destinations[0] }

    /// The retention that applies to this job's backups on `destinationName`: its own override
    /// when the job sets one, else the job's `retention` (nil keeps every backup).
    public func retention(for destinationName: String) -> RetentionPolicy? {
        retentionByDestination[destinationName] ?? retention
    }
}

extension JobConfig {
    /// This job at `destinationName` alone (one of its destinations), with the retention that
    /// applies there as its `retention`: what prune and verification of one destination work on.
    public func only(destination destinationName: String) -> JobConfig {
        var job = self
        job.retention = retention(for: destinationName)
        job.retentionByDestination = [:]
        job.destinations = [destinationName]
        return job
    }
}
