import BackupTestSupport
import Foundation
import Synchronization
@testable import BackupKit
@testable import BackupCore
@testable import BackupEngines
@testable import BackupHistory
@testable import ConfigKit
@testable import S3Kit

/// A store in memory with hooks: aborts refused (as by a provider that is down), and a call after
/// each upload started (once the run recorded it). The call runs in the upload's first read, which
/// is on the bridge: a hook that waits there holds no cooperative thread that the run needs.
struct HookedStore: BackupObjectStore {
    struct Refused: Error {}
    let inner: MemoryObjectStore
    var refusesAborts = false
    var afterUploadStarted: @Sendable (String) -> Void = { _ in }

    func upload(key: String, from source: any ByteSource, metadata: [String: String], uploadStarted: (String) -> Void) async throws -> UploadReceipt {
        let hooked = HookedSource(inner: source, hook: afterUploadStarted)
        return try await inner.upload(key: key, from: hooked, metadata: metadata) { uploadID in
            uploadStarted(uploadID)
            hooked.started(uploadID)
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

/// A source that runs a hook in its first read after `started`, on the reading (bridge) thread.
final class HookedSource: ByteSource {
    private let inner: any ByteSource
    private let hook: @Sendable (String) -> Void
    private let pending = Mutex<String?>(nil)

    init(inner: any ByteSource, hook: @escaping @Sendable (String) -> Void) {
        self.inner = inner
        self.hook = hook
    }

    /// The upload `uploadID` started: the next read runs the hook first.
    func started(_ uploadID: String) { pending.withLock { $0 = uploadID } }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        if let uploadID = pending.withLock({ $0.take() }) { hook(uploadID) }
        return try inner.read(into: buffer)
    }
}
