import BackupCore
import ConfigKit
import Foundation
import Synchronization
import Logging

/// A store that counts the bytes it uploads and downloads into a `TransferProgress`, around the
/// real one. Manifests read through it set the size of the data objects that follow: `.object`
/// counts toward the size of the object being read (a restore), `.backup` toward the whole
/// backup's (a verification reads every object).
public struct ProgressObjectStore: BackupObjectStore {
    /// Which size a download is measured against.
    public enum Measure: Sendable {
        case object, backup
    }

    private let inner: any BackupObjectStore
    private let progress: TransferProgress
    private let sizes: ManifestSizes

    init(inner: any BackupObjectStore, progress: TransferProgress, sizes: ManifestSizes) {
        self.inner = inner
        self.progress = progress
        self.sizes = sizes
    }

    public func upload(
        key: String, from source: any ByteSource, metadata: [String: String], uploadStarted: (String) -> Void
    ) async throws -> UploadReceipt {
        try await inner.upload(key: key, from: CountingSource(source, progress), metadata: metadata, uploadStarted: uploadStarted)
    }

    public func uploadStream(
        key: String, from source: any ByteSource, metadata: [String: String], expectedSize: Int64?,
        uploadStarted: (String) -> Void
    ) async throws -> StreamReceipt {
        if let expectedSize { progress.setTotal(.estimate(expectedSize)) }
        return try await inner.uploadStream(
            key: key, from: CountingSource(source, progress), metadata: metadata, expectedSize: expectedSize,
            uploadStarted: uploadStarted)
    }

    public func download(key: String, to sink: @escaping (UnsafeRawBufferPointer) throws -> Void) async throws {
        if key.hasSuffix(ObjectName.manifestSuffix) {
            // Small, and read whole anyway; its sizes give the ETA of the objects it lists.
            let bytes = BytesBox()
            try await inner.download(key: key) { chunk in
                bytes.value.append(contentsOf: chunk)
                try sink(chunk)
            }
            if let manifest = try? BackupManifest.parse(bytes.value, key: key) { sizes.remember(manifest) }
            return
        }
        if let total = sizes.startingItem(key) { progress.begin(total: .exact(total)) }
        try await inner.download(key: key) { [progress] chunk in
            progress.add(chunk.count)
            try sink(chunk)
        }
    }

    public func head(key: String) async throws -> StoredObject? { try await inner.head(key: key) }
    public func list(prefix: String) async throws -> [StoredObject] { try await inner.list(prefix: prefix) }
    public func delete(keys: [String]) async throws { try await inner.delete(keys: keys) }
    public func abortUpload(key: String, uploadID: String) async throws { try await inner.abortUpload(key: key, uploadID: uploadID) }
    public func openUploads(prefix: String) async throws -> [OpenUpload] { try await inner.openUploads(prefix: prefix) }
    public func createObject(key: String, body: [UInt8], contentType: String) async throws -> String {
        try await inner.createObject(key: key, body: body, contentType: contentType)
    }
    public var retries: Int { inner.retries }
}

/// Opens `ProgressObjectStore`s around another provider's stores, all counting into one line.
public struct ProgressStoreProvider: ObjectStoreProvider {
    private let inner: any ObjectStoreProvider
    private let progress: TransferProgress
    private let sizes: ManifestSizes

    /// Wraps `inner`'s stores; `measure` picks the size a download is measured against.
    public init(_ inner: any ObjectStoreProvider, progress: TransferProgress, measure: ProgressObjectStore.Measure) {
        self.inner = inner
        self.progress = progress
        self.sizes = ManifestSizes(measure: measure)
    }

    public func store(for destination: DestinationConfig) throws -> any BackupObjectStore {
        ProgressObjectStore(inner: try inner.store(for: destination), progress: progress, sizes: sizes)
    }

    public func store(for destination: DestinationConfig, logger: Logger) throws -> any BackupObjectStore {
        ProgressObjectStore(inner: try inner.store(for: destination, logger: logger), progress: progress, sizes: sizes)
    }
}

/// The sizes the manifests read so far give their data objects: the first piece of an item (an
/// object, or a whole backup) starts a new count against the item's size.
final class ManifestSizes: Sendable {
    private let measure: ProgressObjectStore.Measure
    private let starts = Mutex<[String: Int64]>([:])

    init(measure: ProgressObjectStore.Measure) { self.measure = measure }

    func remember(_ manifest: BackupManifest) {
        starts.withLock { starts in
            switch measure {
            case .object:
                for object in manifest.objects {
                    if let first = object.pieces.first { starts[first.key] = object.size }
                }
            case .backup:
                if let first = manifest.objects.first?.pieces.first { starts[first.key] = manifest.totalSize }
            }
        }
    }

    /// The size to measure against when `key` starts an item, nil when it continues one (the next
    /// segment or object) or is in no manifest read.
    func startingItem(_ key: String) -> Int64? {
        starts.withLock { $0[key] }
    }
}

/// A byte source that counts what is read from it.
private final class CountingSource: ByteSource {
    private let source: any ByteSource
    private let progress: TransferProgress

    init(_ source: any ByteSource, _ progress: TransferProgress) {
        self.source = source
        self.progress = progress
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let count = try source.read(into: buffer)
        progress.add(count)
        return count
    }
}
