import S3Kit

/// The three conditional operations claims need, so `ClaimStore` runs on any store that has them
/// (`S3Client`; a fake in unit tests).
public protocol ConditionalObjectStore: Sendable {
    /// Reads a small object with its ETag and the server's `Date` (also when there is none).
    func readVersioned(key: String) async throws -> VersionedRead
    /// Creates `key` with `If-None-Match: *`; `ObjectStoreError.alreadyExists` when taken.
    func createObjectStrictly(key: String, body: [UInt8], contentType: String) async throws -> ConditionalWrite
    /// Replaces `key` with `If-Match: etag`; `ObjectStoreError.preconditionFailed` when it changed.
    func replaceObject(key: String, ifMatch etag: String, body: [UInt8], contentType: String) async throws -> ConditionalWrite
}

extension S3Client: ConditionalObjectStore {}
