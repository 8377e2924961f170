import Foundation
import Logging

/// The live `BackupObjectStore`: one bucket through an `S3Client`, uploads by `MultipartUploader`.
public final class S3ObjectStore: BackupObjectStore {
    /// The client used for every request.
    public let client: S3Client
    /// The uploader used by `upload`.
    public let uploader: MultipartUploader

    /// A store over `client` with the destination's part settings.
    public init(client: S3Client, plan: PartSizePlan, partsInFlight: Int, logger: Logger) {
        self.client = client
        self.uploader = MultipartUploader(client: client, plan: plan, partsInFlight: partsInFlight, logger: logger)
    }

    /// A store for a configured destination over libcurl.
    public convenience init(destination: DestinationConfig, logger: Logger) {
        var log = logger
        log[metadataKey: "s3.destination"] = "\(destination.name)"
        self.init(
            client: S3Client(destination: destination, logger: log),
            plan: PartSizePlan(firstPartSize: destination.partSize, maxParts: destination.maxParts),
            partsInFlight: destination.partsInFlight, logger: log)
    }

    public func upload(
        key: String, from source: any ByteSource, metadata: [String: String], cancellation: RunCancellation,
        uploadStarted: (String) -> Void
    ) throws -> UploadReceipt {
        try uploader.upload(key: key, from: source, metadata: metadata, cancellation: cancellation, uploadStarted: uploadStarted)
    }

    public func head(key: String) throws -> StoredObject? {
        try client.headObject(key: key)
    }

    public func list(prefix: String) throws -> [StoredObject] {
        try client.listObjects(prefix: prefix).sorted { $0.key < $1.key }
    }

    public func download(key: String, to sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        try withoutActuallyEscaping(sink) { sink in
            try client.getObject(key: key, to: sink)
        }
    }

    public func delete(keys: [String]) throws {
        try client.deleteObjects(keys: keys)
    }

    public func abortUpload(key: String, uploadID: String) throws {
        try client.abortMultipartUpload(key: key, uploadID: uploadID)
    }

    public func openUploads(prefix: String) throws -> [OpenUpload] {
        try client.listMultipartUploads(prefix: prefix)
    }

    public func createObject(key: String, body: [UInt8], contentType: String) throws -> String {
        try body.withUnsafeBytes { try client.putObjectIfAbsent(key: key, body: $0, contentType: contentType).etag }
    }
}
