import BackupKit
import Logging

/// The object stores the commands use: S3 over libcurl; uploads whose abort failed are kept in
/// `abortLedger` (the history) for the sweeper.
func liveStores(logger: Logger, abortLedger: (any PendingAbortLedger)? = nil) -> any ObjectStoreProvider {
    S3StoreProvider(logger: logger, abortLedger: abortLedger)
}

/// The expected size of a job's next backup: its `expectedSize`, else its recent sizes in `history`.
func expectedSize(history: HistoryStore?) -> @Sendable (JobConfig) -> Int64? {
    { job in job.expectedSize ?? (try? history?.recentBackupSize(job: job.name)) ?? nil }
}
