import BackupCore
import ConfigKit
import Logging
import S3Kit

/// The live `ObjectStoreProvider`: an `S3ObjectStore` over libcurl per destination.
public struct S3StoreProvider: ObjectStoreProvider {
    let logger: Logger
    /// Where uploads whose abort failed are kept (the history), for the sweeper.
    let abortLedger: (any PendingAbortLedger)?

    /// A provider whose stores log to `logger` and keep failed aborts in `abortLedger`.
    public init(logger: Logger, abortLedger: (any PendingAbortLedger)? = nil) {
        self.logger = logger
        self.abortLedger = abortLedger
    }

    public func store(for destination: DestinationConfig) throws -> any BackupObjectStore {
        try store(for: destination, logger: logger)
    }

    public func store(for destination: DestinationConfig, logger: Logger) throws -> any BackupObjectStore {
        S3ObjectStore(destination: destination, logger: logger, abortLedger: abortLedger)
    }
}
