import BackupCore
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

    /// A store over `client` with the destination's part settings and provider profile; uploads
    /// whose abort failed go to `abortLedger` under the destination's name.
    public init(
        client: S3Client, plan: PartSizePlan, partsInFlight: Int, logger: Logger, profile: ProviderProfile = ProviderProfile(),
        abortLedger: (ledger: any PendingAbortLedger, destination: String)? = nil
    ) {
        self.client = client
        self.downloadsInFlight = partsInFlight
        self.uploader = MultipartUploader(
            client: client, plan: plan, partsInFlight: partsInFlight, logger: logger, profile: profile, abortLedger: abortLedger)
    }

    public func upload(
        key: String, from source: any ByteSource, metadata: [String: String], uploadStarted: (String) -> Void
    ) async throws -> UploadReceipt {
        try await uploader.upload(key: key, from: source, metadata: metadata, uploadStarted: uploadStarted)
    }

    public func uploadStream(
        key: String, from source: any ByteSource, metadata: [String: String], expectedSize: Int64?,
        uploadStarted: (String) -> Void
    ) async throws -> StreamReceipt {
        try await uploader.uploadStream(
            key: key, from: source, metadata: metadata, expectedSize: expectedSize, uploadStarted: uploadStarted)
    }

    public var retries: Int { client.retries }

    public func head(key: String) async throws -> StoredObject? {
        try await client.headObject(key: key)
    }

    public func list(prefix: String) async throws -> [StoredObject] {
        try await client.listObjects(prefix: prefix).sorted { $0.key < $1.key }
    }

    public func download(key: String, to sink: @escaping (UnsafeRawBufferPointer) throws -> Void) async throws {
        try await client.download(key: key, inFlight: downloadsInFlight, to: sink)
    }

    public func delete(keys: [String]) async throws {
        try await client.deleteObjects(keys: keys)
    }

    /// Aborts with a short budget: whoever aborts (recovery, the sweeper) tries again later.
    public func abortUpload(key: String, uploadID: String) async throws {
        try await client.abortMultipartUpload(
            key: key, uploadID: uploadID, budget: min(client.settings.retry.budget, MultipartUploader.abortBudget))
    }

    public func openUploads(prefix: String) async throws -> [OpenUpload] {
        try await client.listMultipartUploads(prefix: prefix)
    }

    public func createObject(key: String, body: [UInt8], contentType: String) async throws -> String {
        try await S3Client.withBody(body) { try await client.putObjectIfAbsent(key: key, body: $0, contentType: contentType).etag }
    }
}
