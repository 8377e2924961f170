import Foundation
import Logging

/// Where backups are kept: the seam between the dump pipeline and S3.
///
/// The live implementation is the S3 client over libcurl; tests may use an in-memory fake.
/// Every method is async and stops when the calling task is cancelled.
public protocol BackupObjectStore: Sendable {
    /// Streams `source` to `key` as a multipart upload of unknown length with `metadata` (what is
    /// known at the start), computing the SHA-256 of the stored bytes in the same pass (returned in
    /// the receipt for the manifest, never written back onto the object), then confirming size and
    /// metadata with a HEAD.
    ///
    /// Calls `uploadStarted` with the upload id after the upload is created and before the first
    /// part is sent, so a crash can be cleaned up. On any failure (the source throws, a part fails
    /// after its retries, the task is cancelled) the multipart upload is aborted before this throws:
    /// no object appears and no parts are left billed.
    func upload(
        key: String, from source: any ByteSource, metadata: [String: String], uploadStarted: (String) -> Void
    ) async throws -> UploadReceipt

    /// Streams `source` as one stream that may span several objects (segments) when it outgrows
    /// one; `expectedSize` fixes the part size on equal-parts providers. Same failure contract as
    /// `upload`. The default stores one object through `upload`.
    func uploadStream(
        key: String, from source: any ByteSource, metadata: [String: String], expectedSize: Int64?,
        uploadStarted: (String) -> Void
    ) async throws -> StreamReceipt

    /// The object at `key`, or nil when there is none.
    func head(key: String) async throws -> StoredObject?

    /// Every object under `prefix` (all pages), oldest key first.
    func list(prefix: String) async throws -> [StoredObject]

    /// Streams the object at `key` to `sink`, chunk by chunk, without holding it in memory;
    /// `sink` may block (it runs on the `BlockingBridge`).
    func download(key: String, to sink: @escaping (UnsafeRawBufferPointer) throws -> Void) async throws

    /// Deletes the objects (missing keys are not an error).
    func delete(keys: [String]) async throws

    /// Aborts one multipart upload (an upload that no longer exists is not an error).
    func abortUpload(key: String, uploadID: String) async throws

    /// Multipart uploads in progress under `prefix`.
    func openUploads(prefix: String) async throws -> [OpenUpload]

    /// Stores a small object (a manifest) only if `key` is free; throws
    /// `ObjectStoreError.alreadyExists` otherwise. Returns its ETag.
    func createObject(key: String, body: [UInt8], contentType: String) async throws -> String

    /// Requests to the service retried through this store so far (0 for stores that never retry).
    var retries: Int { get }
}

extension BackupObjectStore {
    /// Stores without a network never retry.
    public var retries: Int { 0 }

    /// Stores that cannot create objects refuse.
    public func createObject(key: String, body: [UInt8], contentType: String) async throws -> String {
        throw ObjectStoreError.unsupported(operation: "storing a manifest")
    }

    /// The whole object at `key`, for small ones (manifests).
    public func read(key: String) async throws -> [UInt8] {
        let bytes = BytesBox()
        try await download(key: key) { bytes.value.append(contentsOf: $0) }
        return bytes.value
    }
}

/// What a finished upload stored.
public struct UploadReceipt: Sendable, Hashable {
    /// The object key.
    public var key: String
    /// The multipart upload id that was completed.
    public var uploadID: String
    /// Bytes stored.
    public var size: Int64
    /// The stored bytes' digest: the lower-case hex SHA-256 of the whole object when `parts` is
    /// empty, else `PartDigest.label` of the SHA-256 over the parts' digests.
    public var sha256: String
    /// The ETag S3 returned.
    public var etag: String
    /// The size of the first part (later parts may grow by the destination's part-size plan).
    public var partSize: Int
    /// How many parts were sent.
    public var partCount: Int
    /// Each part's size and the SHA-256 the server checked, in order; empty for a store that
    /// hashes the whole object instead.
    public var parts: [PartDigest]

    /// Describes a finished upload.
    public init(
        key: String, uploadID: String, size: Int64, sha256: String, etag: String, partSize: Int, partCount: Int, parts: [PartDigest] = []
    ) {
        self.key = key
        self.uploadID = uploadID
        self.size = size
        self.sha256 = sha256
        self.etag = etag
        self.partSize = partSize
        self.partCount = partCount
        self.parts = parts
    }
}

/// An object in the bucket.
public struct StoredObject: Sendable, Hashable {
    /// The object key.
    public var key: String
    /// Its size in bytes.
    public var size: Int64
    /// When it was last written.
    public var lastModified: Date?
    /// Its ETag.
    public var etag: String?
    /// User metadata (`x-amz-meta-*`, names lower-cased without the prefix); empty from `list`.
    public var metadata: [String: String]

    /// Describes an object.
    public init(key: String, size: Int64, lastModified: Date? = nil, etag: String? = nil, metadata: [String: String] = [:]) {
        self.key = key
        self.size = size
        self.lastModified = lastModified
        self.etag = etag
        self.metadata = metadata
    }
}

/// A multipart upload that was created and neither completed nor aborted.
public struct OpenUpload: Sendable, Hashable {
    /// The key it would write.
    public var key: String
    /// Its upload id.
    public var uploadID: String
    /// When it was created.
    public var initiated: Date

    /// Describes an open upload.
    public init(key: String, uploadID: String, initiated: Date) {
        self.key = key
        self.uploadID = uploadID
        self.initiated = initiated
    }
}

/// Bytes a download's sink collects (on the bridge) and its caller reads after the download returned.
package final class BytesBox {
    package var value: [UInt8] = []
    package init() {}
}
