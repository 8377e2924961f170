import Foundation
import Logging

/// The live `BackupObjectStore`: one bucket through an `S3Client`, uploads by `MultipartUploader`.
public final class S3ObjectStore: BackupObjectStore {
    /// The client used for every request.
    public let client: S3Client
    /// The uploader used by `upload`.
    public let uploader: MultipartUploader

    /// Ranged GETs in flight for one download.
    public let downloadsInFlight: Int
    /// What stops this store's listings and deletions (a prune's run, `backupd prune`'s signals):
    /// checked before every page and batch, and handed to each request.
    public let cancellation: RunCancellation?

    /// A store over `client` with the destination's part settings and provider profile; uploads
    /// whose abort failed go to `abortLedger` under the destination's name.
    public init(
        client: S3Client, plan: PartSizePlan, partsInFlight: Int, logger: Logger, profile: ProviderProfile = ProviderProfile(),
        abortLedger: (ledger: any PendingAbortLedger, destination: String)? = nil
    ) {
        self.client = client
        self.downloadsInFlight = partsInFlight
        self.cancellation = nil
        self.uploader = MultipartUploader(
            client: client, plan: plan, partsInFlight: partsInFlight, logger: logger, profile: profile, abortLedger: abortLedger)
    }

    private init(sharing store: S3ObjectStore, cancellation: RunCancellation) {
        client = store.client
        uploader = store.uploader
        downloadsInFlight = store.downloadsInFlight
        self.cancellation = cancellation
    }

    public func upload(
        key: String, from source: any ByteSource, metadata: [String: String], cancellation: RunCancellation,
        uploadStarted: (String) -> Void
    ) throws -> UploadReceipt {
        try uploader.upload(key: key, from: source, metadata: metadata, cancellation: cancellation, uploadStarted: uploadStarted)
    }

    public func uploadStream(
        key: String, from source: any ByteSource, metadata: [String: String], expectedSize: Int64?,
        cancellation: RunCancellation, uploadStarted: (String) -> Void
    ) throws -> StreamReceipt {
        try uploader.uploadStream(
            key: key, from: source, metadata: metadata, expectedSize: expectedSize, cancellation: cancellation,
            uploadStarted: uploadStarted)
    }

    public var retries: Int { client.retries }

    public func head(key: String) throws -> StoredObject? {
        try client.headObject(key: key)
    }

    public func list(prefix: String) throws -> [StoredObject] {
        try client.listObjects(prefix: prefix, cancellation: cancellation).sorted { $0.key < $1.key }
    }

    public func download(key: String, to sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        try client.download(key: key, inFlight: downloadsInFlight, to: sink)
    }

    public func delete(keys: [String]) throws {
        try client.deleteObjects(keys: keys, cancellation: cancellation)
    }

    /// Aborts with a short budget: whoever aborts (recovery, the sweeper) tries again later.
    public func abortUpload(key: String, uploadID: String) throws {
        try client.abortMultipartUpload(key: key, uploadID: uploadID, budget: min(client.settings.retry.budget, MultipartUploader.abortBudget))
    }

    public func openUploads(prefix: String) throws -> [OpenUpload] {
        try client.listMultipartUploads(prefix: prefix, cancellation: cancellation)
    }

    public func createObject(key: String, body: [UInt8], contentType: String) throws -> String {
        try body.withUnsafeBytes { try client.putObjectIfAbsent(key: key, body: $0, contentType: contentType).etag }
    }
}

extension S3ObjectStore: CancellableStore {
    public func cancellable(by cancellation: RunCancellation) -> any BackupObjectStore {
        S3ObjectStore(sharing: self, cancellation: cancellation)
    }
}
