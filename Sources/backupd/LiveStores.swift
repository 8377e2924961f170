import BackupCore
import BackupKit
import Logging

/// The object stores the commands use: S3 over libcurl; uploads whose abort failed are kept in
/// `abortLedger` (the history) for the sweeper.
func liveStores(logger: Logger, abortLedger: (any PendingAbortLedger)? = nil) -> any ObjectStoreProvider {
    S3StoreProvider(logger: logger, abortLedger: abortLedger)
}

