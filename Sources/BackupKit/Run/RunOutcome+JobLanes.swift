import BackupHistory
import ConfigKit

extension RunOutcome {
    /// `completingLanes` for `job`'s destinations, buckets from `config`.
    public func completingLanes(job: JobConfig, config: BackupConfig) -> RunOutcome {
        completingLanes(job.destinations.map { (name: $0, bucket: config.destination(named: $0)?.bucket) })
    }
}
