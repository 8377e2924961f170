import Foundation
@testable import BackupKit

/// A store in memory with hooks: aborts refused (as by a provider that is down), and a call after
/// each upload started (once the run recorded it).
struct HookedStore: BackupObjectStore {
    struct Refused: Error {}
    let inner: MemoryObjectStore
    var refusesAborts = false
    var afterUploadStarted: @Sendable (String) -> Void = { _ in }

    func upload(key: String, from source: any ByteSource, metadata: [String: String], cancellation: RunCancellation, uploadStarted: (String) -> Void) throws -> UploadReceipt {
        try inner.upload(key: key, from: source, metadata: metadata, cancellation: cancellation) { uploadID in
            uploadStarted(uploadID)
            afterUploadStarted(uploadID)
        }
    }
    func head(key: String) throws -> StoredObject? { try inner.head(key: key) }
    func list(prefix: String) throws -> [StoredObject] { try inner.list(prefix: prefix) }
    func download(key: String, to sink: (UnsafeRawBufferPointer) throws -> Void) throws { try inner.download(key: key, to: sink) }
    func delete(keys: [String]) throws { try inner.delete(keys: keys) }
    func abortUpload(key: String, uploadID: String) throws {
        if refusesAborts { throw Refused() }
        try inner.abortUpload(key: key, uploadID: uploadID)
    }
    func openUploads(prefix: String) throws -> [OpenUpload] { try inner.openUploads(prefix: prefix) }
    func createObject(key: String, body: [UInt8], contentType: String) throws -> String {
        try inner.createObject(key: key, body: body, contentType: contentType)
    }
}
