import BackupCore
import BackupKit
import ConfigKit
import Foundation
import SigV4
import Synchronization

/// A `BackupObjectStore` in memory, for tests of the pipeline: it reads sources in parts like
/// the S3 uploader, aborts on failure, and keeps the open uploads it would leave behind.
package final class MemoryObjectStore: BackupObjectStore, ObjectStoreProvider {
    private struct State {
        var objects: [String: (bytes: [UInt8], metadata: [String: String], modified: Date)] = [:]
        var open: [String: OpenUpload] = [:]
        var aborted: [String] = []
        var counter = 0
    }
    private let state = Mutex(State())
    /// The size of the reads from a source (the S3 uploader's part size).
    package let partSize: Int
    /// Fail the upload with `MemoryStoreError.injected` after this many bytes.
    package let failAfter: Int?
    /// Whether receipts carry each part's digest, as the S3 uploader's do (manifest format 2),
    /// rather than the whole object's SHA-256.
    package let digestsParts: Bool

    /// An empty store.
    package init(partSize: Int = 5 << 20, failAfter: Int? = nil, digestsParts: Bool = false) {
        self.partSize = partSize
        self.failAfter = failAfter
        self.digestsParts = digestsParts
    }

    package func store(for destination: DestinationConfig) throws -> any BackupObjectStore { self }

    /// Adds an open upload, as one a crashed run or another client left behind.
    package func addOpenUpload(_ upload: OpenUpload) {
        state.withLock { $0.open[upload.uploadID] = upload }
    }

    /// Keys of uploads that were aborted.
    package var abortedKeys: [String] { state.withLock { $0.aborted } }

    /// The bytes of an object.
    package func bytes(of key: String) -> [UInt8]? { state.withLock { $0.objects[key]?.bytes } }

    /// Every key stored.
    package var keys: [String] { state.withLock { $0.objects.keys.sorted() } }

    package func upload(
        key: String, from source: any ByteSource, metadata: [String: String], uploadStarted: (String) -> Void
    ) async throws -> UploadReceipt {
        let uploadID = state.withLock { s -> String in
            s.counter += 1
            let id = "upload-\(s.counter)"
            s.open[id] = OpenUpload(key: key, uploadID: id, initiated: Date())
            return id
        }
        uploadStarted(uploadID)
        var stored: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: partSize)
        var parts = 0
        var partDigests: [PartDigest] = []
        do {
            while true {
                if Task.isCancelled { throw MemoryStoreError.cancelled(StopReason.text) }
                var filled = 0
                while filled < buffer.count {
                    let n = try await Self.read(source, into: &buffer, from: filled)
                    if n == 0 { break }
                    filled += n
                }
                if filled == 0 && parts > 0 { break }
                stored.append(contentsOf: buffer[..<filled])
                parts += 1
                if digestsParts { partDigests.append(PartDigest(size: Int64(filled), sha256: SHA256.hex(SHA256.hash(buffer[..<filled])))) }
                if let failAfter, stored.count >= failAfter { throw MemoryStoreError.injected }
                if filled < buffer.count { break }
            }
        } catch {
            state.withLock { s in
                s.open[uploadID] = nil
                s.aborted.append(key)
            }
            throw error
        }
        let whole = SHA256.hex(SHA256.hash(stored))
        let digest = digestsParts
            ? PartDigest.label(composite: SHA256.composite(ofHex: partDigests.map(\.sha256)), parts: partDigests.count) : whole
        state.withLock { s in
            s.open[uploadID] = nil
            s.objects[key] = (stored, metadata, Date())
        }
        return UploadReceipt(
            key: key, uploadID: uploadID, size: Int64(stored.count), sha256: digest, etag: "\"\(whole.prefix(32))\"",
            partSize: partSize, partCount: parts, parts: partDigests)
    }

    package func head(key: String) async throws -> StoredObject? {
        state.withLock { s in
            s.objects[key].map { StoredObject(key: key, size: Int64($0.bytes.count), lastModified: $0.modified, metadata: $0.metadata) }
        }
    }

    package func list(prefix: String) async throws -> [StoredObject] {
        state.withLock { s in
            s.objects.filter { $0.key.hasPrefix(prefix) }.sorted { $0.key < $1.key }
                .map { StoredObject(key: $0.key, size: Int64($0.value.bytes.count), lastModified: $0.value.modified) }
        }
    }

    package func download(key: String, to sink: @escaping (UnsafeRawBufferPointer) throws -> Void) async throws {
        guard let bytes = state.withLock({ $0.objects[key]?.bytes }) else { throw MemoryStoreError.noSuchKey(key) }
        // The sink may block (a restore's pipe), as with the live store: it runs on the bridge.
        let lent = BlockingBridge.Handoff(sink)
        try await BlockingBridge.shared.run {
            var offset = 0
            while offset < bytes.count {
                let end = min(bytes.count, offset + 256 * 1024)
                try bytes[offset..<end].withUnsafeBytes { try lent.value($0) }
                offset = end
            }
        }
    }

    /// Reads from `source` into `buffer` from `offset` on the bridge (a source may block).
    private static func read(_ source: any ByteSource, into buffer: inout [UInt8], from offset: Int) async throws -> Int {
        let lent = BlockingBridge.Handoff((source: source, buffer: buffer))
        buffer = []
        let (count, filled) = try await BlockingBridge.shared.run {
            var local = lent.value
            let n = try local.buffer.withUnsafeMutableBytes { try local.source.read(into: UnsafeMutableRawBufferPointer(rebasing: $0[offset...])) }
            return (n, BlockingBridge.Handoff(local.buffer))
        }
        buffer = filled.value
        return count
    }

    package func delete(keys: [String]) async throws {
        state.withLock { s in for key in keys { s.objects[key] = nil } }
    }

    package func abortUpload(key: String, uploadID: String) async throws {
        state.withLock { s in
            if s.open.removeValue(forKey: uploadID) != nil { s.aborted.append(key) }
        }
    }

    package func openUploads(prefix: String) async throws -> [OpenUpload] {
        state.withLock { s in s.open.values.filter { $0.key.hasPrefix(prefix) } }
    }

    package func createObject(key: String, body: [UInt8], contentType: String) async throws -> String {
        try state.withLock { s in
            guard s.objects[key] == nil else { throw ObjectStoreError.alreadyExists(key: key) }
            s.objects[key] = (body, [:], Date())
            return "\"\(SHA256.hex(SHA256.hash(body)).prefix(32))\""
        }
    }

    /// Replaces an object's metadata (tests: an object as an older backupd left it).
    package func setMetadata(key: String, _ metadata: [String: String]) {
        state.withLock { s in s.objects[key]?.metadata = metadata }
    }

    /// Replaces an object's bytes (tests: corrupt or truncate a stored backup).
    package func replace(key: String, with bytes: [UInt8]) {
        state.withLock { s in s.objects[key]?.bytes = bytes }
    }

}

/// Failures a `MemoryObjectStore` produces.
package enum MemoryStoreError: Error, CustomStringConvertible {
    case injected
    case cancelled(String)
    case noSuchKey(String)

    package var description: String {
        switch self {
        case .injected: return "injected upload failure"
        case .cancelled(let reason): return "cancelled: \(reason)"
        case .noSuchKey(let key): return "no object \(key)"
        }
    }
}
