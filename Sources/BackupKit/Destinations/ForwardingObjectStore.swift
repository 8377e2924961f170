import BackupCore

/// A store wrapper that passes every call to `forwardee` unless it implements the call itself:
/// wrappers that guard or cache a few calls (`ClaimGuardedStore`, `ReadCachingStore`) write only those.
protocol ForwardingObjectStore: BackupObjectStore {
    /// The store the calls go to.
    var forwardee: any BackupObjectStore { get }
}

extension ForwardingObjectStore {
    func upload(
        key: String, from source: any ByteSource, metadata: [String: String], uploadStarted: (String) -> Void
    ) async throws -> UploadReceipt {
        try await forwardee.upload(key: key, from: source, metadata: metadata, uploadStarted: uploadStarted)
    }

    func uploadStream(
        key: String, from source: any ByteSource, metadata: [String: String], expectedSize: Int64?, uploadStarted: (String) -> Void
    ) async throws -> StreamReceipt {
        try await forwardee.uploadStream(key: key, from: source, metadata: metadata, expectedSize: expectedSize, uploadStarted: uploadStarted)
    }

    func head(key: String) async throws -> StoredObject? { try await forwardee.head(key: key) }
    func list(prefix: String) async throws -> [StoredObject] { try await forwardee.list(prefix: prefix) }
    func delete(keys: [String]) async throws { try await forwardee.delete(keys: keys) }
    func abortUpload(key: String, uploadID: String) async throws { try await forwardee.abortUpload(key: key, uploadID: uploadID) }
    func openUploads(prefix: String) async throws -> [OpenUpload] { try await forwardee.openUploads(prefix: prefix) }
    func createObject(key: String, body: [UInt8], contentType: String) async throws -> String {
        try await forwardee.createObject(key: key, body: body, contentType: contentType)
    }
    func download(key: String, to sink: @escaping (UnsafeRawBufferPointer) throws -> Void) async throws {
        try await forwardee.download(key: key, to: sink)
    }
    var retries: Int { forwardee.retries }
}
