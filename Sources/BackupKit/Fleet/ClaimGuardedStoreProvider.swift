import BackupCore
import ConfigKit
import Logging

/// Opens stores whose deletions (and upload aborts) first check a `TaskClaimWatch`: once the
/// task's claim is lost to another host, each one throws `TaskClaimError.lost` before any
/// request, so a prune that lost its claim midway stops before its next delete. Listings and
/// reads go through unchanged.
public struct ClaimGuardedStoreProvider: ObjectStoreProvider {
    /// The provider whose stores are guarded.
    public let base: any ObjectStoreProvider
    /// The claim that must still be held.
    public let watch: TaskClaimWatch

    /// Guards `base`'s stores with `watch`.
    public init(base: any ObjectStoreProvider, watch: TaskClaimWatch) {
        self.base = base
        self.watch = watch
    }

    public func store(for destination: DestinationConfig) throws -> any BackupObjectStore {
        guarded(try base.store(for: destination))
    }

    public func store(for destination: DestinationConfig, logger: Logger) throws -> any BackupObjectStore {
        guarded(try base.store(for: destination, logger: logger))
    }

    /// The guarded store prunes exactly when the store it wraps can.
    private func guarded(_ store: any BackupObjectStore) -> any BackupObjectStore {
        func prunable<S: PrunableStore>(_ store: S) -> any BackupObjectStore { ClaimGuardedStore(inner: store, watch: watch) }
        func plain<S: BackupObjectStore>(_ store: S) -> any BackupObjectStore { ClaimGuardedStore(inner: store, watch: watch) }
        if let store = store as? any PrunableStore { return prunable(store) }
        return plain(store)
    }
}

/// A store that checks its task's claim before every deletion and abort.
struct ClaimGuardedStore<Inner: BackupObjectStore>: ForwardingObjectStore {
    let inner: Inner
    let watch: TaskClaimWatch

    var forwardee: any BackupObjectStore { inner }

    func delete(keys: [String]) async throws {
        try watch.check()
        try await inner.delete(keys: keys)
    }

    func abortUpload(key: String, uploadID: String) async throws {
        try watch.check()
        try await inner.abortUpload(key: key, uploadID: uploadID)
    }
}

extension ClaimGuardedStore: PrunableStore where Inner: PrunableStore {
    func deleteBatch(keys: [String]) async throws -> [DeletionRefusal] {
        try watch.check()
        return try await inner.deleteBatch(keys: keys)
    }

    func deleteOne(key: String) async throws {
        try watch.check()
        try await inner.deleteOne(key: key)
    }
}
