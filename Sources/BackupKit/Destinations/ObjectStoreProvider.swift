import BackupCore
import ConfigKit
import Logging

/// Opens the object store of a destination (the live one builds an S3 client).
public protocol ObjectStoreProvider: Sendable {
    /// The store that writes to `destination`.
    func store(for destination: DestinationConfig) throws -> any BackupObjectStore

    /// The store that writes to `destination`, logging through `logger` (so a run's log lines
    /// carry its `job` and `run` fields).
    func store(for destination: DestinationConfig, logger: Logger) throws -> any BackupObjectStore
}

extension ObjectStoreProvider {
    /// Providers that do not log ignore the logger.
    public func store(for destination: DestinationConfig, logger: Logger) throws -> any BackupObjectStore {
        try store(for: destination)
    }
}
