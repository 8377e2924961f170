import Logging

/// The live `ObjectStoreProvider`: an `S3ObjectStore` over libcurl per destination.
public struct S3StoreProvider: ObjectStoreProvider {
    let logger: Logger

    /// A provider whose stores log to `logger`.
    public init(logger: Logger) {
        self.logger = logger
    }

    public func store(for destination: DestinationConfig) throws -> any BackupObjectStore {
        try store(for: destination, logger: logger)
    }

    public func store(for destination: DestinationConfig, logger: Logger) throws -> any BackupObjectStore {
        S3ObjectStore(destination: destination, logger: logger)
    }
}
