import Foundation
@testable import BackupKit

/// A store in memory with hooks: aborts refused (as by a provider that is down), and a call after
/// each upload started (once the run recorded it).
struct HookedStore: BackupObjectStore {
    struct Refused: Error {}
    let inner: MemoryObjectStore
    var refusesAborts = false
    var afterUploadStarted: @Sendable (String) -> Void = { _ in }

    func upload(key: String, from source: any ByteSource, metadata: [String: String], uploadStarted: (String) -> Void) async throws -> UploadReceipt {
        try await inner.upload(key: key, from: source, metadata: metadata) { uploadID in
            uploadStarted(uploadID)
            afterUploadStarted(uploadID)
        }
    }
    func head(key: String) async throws -> StoredObject? { try await inner.head(key: key) }
    func list(prefix: String) async throws -> [StoredObject] { try await inner.list(prefix: prefix) }
    func download(key: String, to sink: @escaping (UnsafeRawBufferPointer) throws -> Void) async throws { try await inner.download(key: key, to: sink) }
    func delete(keys: [String]) async throws { try await inner.delete(keys: keys) }
    func abortUpload(key: String, uploadID: String) async throws {
        if refusesAborts { throw Refused() }
        try await inner.abortUpload(key: key, uploadID: uploadID)
    }
    func openUploads(prefix: String) async throws -> [OpenUpload] { try await inner.openUploads(prefix: prefix) }
    func createObject(key: String, body: [UInt8], contentType: String) async throws -> String {
        try await inner.createObject(key: key, body: body, contentType: contentType)
    }
}
