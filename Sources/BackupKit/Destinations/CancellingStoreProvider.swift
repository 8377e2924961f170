import BackupCore
import ConfigKit
import Logging

/// Opens stores bound to one `RunCancellation` (a run's follow-up, for its after-backup prune;
/// `backupd prune`'s signals), so that retention's listing and deletions stop when it is cancelled:
/// each call runs in a task the token cancels (`RunCancellation.bound`), ending a request in flight at once.
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

    /// The bound store prunes exactly when the store it wraps can.
    private func bind(_ store: any BackupObjectStore) -> any BackupObjectStore {
        func prunable<S: PrunableStore>(_ store: S) -> any BackupObjectStore { CancellingStore(inner: store, cancellation: cancellation) }
        func plain<S: BackupObjectStore>(_ store: S) -> any BackupObjectStore { CancellingStore(inner: store, cancellation: cancellation) }
        if let store = store as? any PrunableStore { return prunable(store) }
        return plain(store)
    }
}

/// A store whose listings, reads and deletions run bound to a `RunCancellation` (uploads are not
/// bound: a run's own task cancellation stops them).
struct CancellingStore<Inner: BackupObjectStore>: BackupObjectStore {
    let inner: Inner
    let cancellation: RunCancellation

    func upload(
        key: String, from source: any ByteSource, metadata: [String: String], uploadStarted: (String) -> Void
    ) async throws -> UploadReceipt {
        try await inner.upload(key: key, from: source, metadata: metadata, uploadStarted: uploadStarted)
    }

    func uploadStream(
        key: String, from source: any ByteSource, metadata: [String: String], expectedSize: Int64?, uploadStarted: (String) -> Void
    ) async throws -> StreamReceipt {
        try await inner.uploadStream(key: key, from: source, metadata: metadata, expectedSize: expectedSize, uploadStarted: uploadStarted)
    }

    func head(key: String) async throws -> StoredObject? { try await cancellation.bound { [inner] in try await inner.head(key: key) } }
    func list(prefix: String) async throws -> [StoredObject] { try await cancellation.bound { [inner] in try await inner.list(prefix: prefix) } }
    func delete(keys: [String]) async throws { try await cancellation.bound { [inner] in try await inner.delete(keys: keys) } }
    func openUploads(prefix: String) async throws -> [OpenUpload] {
        try await cancellation.bound { [inner] in try await inner.openUploads(prefix: prefix) }
    }
    func abortUpload(key: String, uploadID: String) async throws {
        try await cancellation.bound { [inner] in try await inner.abortUpload(key: key, uploadID: uploadID) }
    }
    func createObject(key: String, body: [UInt8], contentType: String) async throws -> String {
        try await cancellation.bound { [inner] in try await inner.createObject(key: key, body: body, contentType: contentType) }
    }
    var retries: Int { inner.retries }

    func download(key: String, to sink: @escaping (UnsafeRawBufferPointer) throws -> Void) async throws {
        let lent = BlockingBridge.Handoff(sink)
        try await cancellation.bound { [inner] in try await inner.download(key: key, to: lent.value) }
    }
}

extension CancellingStore: PrunableStore where Inner: PrunableStore {
    func deleteBatch(keys: [String]) async throws -> [DeletionRefusal] {
        try await cancellation.bound { [inner] in try await inner.deleteBatch(keys: keys) }
    }

    func deleteOne(key: String) async throws {
        try await cancellation.bound { [inner] in try await inner.deleteOne(key: key) }
    }
}
