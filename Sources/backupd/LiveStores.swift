import BackupKit
import Logging

/// The object stores the commands use: S3 over libcurl; uploads whose abort failed are kept in
/// `abortLedger` (the history) for the sweeper.
func liveStores(logger: Logger, abortLedger: (any PendingAbortLedger)? = nil) -> any ObjectStoreProvider {
    S3StoreProvider(logger: logger, abortLedger: abortLedger)
}

/// The largest stored size of a job's recent successful backups in `history` (see `ExpectedSize`).
func recentSize(history: HistoryStore?) -> @Sendable (JobConfig) -> Int64? {
    { job in (try? history?.recentBackupSize(job: job.name)) ?? nil }
}

/// The dump sizes of a job's recent good backups in `history`, for the suspicious-shrinkage rule.
func recentDumpSizes(history: HistoryStore?) -> @Sendable (JobConfig) -> [Int64] {
    { job in (try? history?.recentDumpSizes(job: job.name)) ?? [] }
}
