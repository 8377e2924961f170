import Logging

/// Opens stores bound to one `RunCancellation` (a run's, for its after-backup prune; `backupd
/// prune`'s signals), so that retention's listing and deletions stop when it is cancelled.
public struct CancellingStoreProvider: ObjectStoreProvider {
    /// The provider whose stores are bound.
    public let base: any ObjectStoreProvider
    /// What stops them.
    public let cancellation: RunCancellation

    /// Binds `base`'s stores to `cancellation`.
    public init(base: any ObjectStoreProvider, cancellation: RunCancellation) {
        self.base = base
        self.cancellation = cancellation
    }

    public func store(for destination: DestinationConfig) throws -> any BackupObjectStore {
        bind(try base.store(for: destination))
    }

    public func store(for destination: DestinationConfig, logger: Logger) throws -> any BackupObjectStore {
        bind(try base.store(for: destination, logger: logger))
    }

    private func bind(_ store: any BackupObjectStore) -> any BackupObjectStore {
        return (store as? any CancellableStore)?.cancellable(by: cancellation) ?? store
    }
}
