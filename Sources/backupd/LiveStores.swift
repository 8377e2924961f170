import BackupKit
import Logging

/// The object stores the commands use: S3 over libcurl.
func liveStores(logger: Logger) -> any ObjectStoreProvider {
    S3StoreProvider(logger: logger)
}
