import Foundation
import Logging
import Synchronization
@testable import BackupKit
@testable import BackupCore
@testable import BackupEngines
@testable import BackupHistory
@testable import ConfigKit
@testable import S3Kit

/// A bucket of keys for prune tests: it records every delete call in order, refuses the keys it
/// is told to (as object lock or a bucket policy would), and can fail its listing.
final class FakePruneStore: PrunableStore, ObjectStoreProvider {
    struct Unsupported: Error {}
    struct ListingFailed: Error, CustomStringConvertible { var description: String { "ListObjectsV2 page 2 failed with HTTP 500" } }

    private struct State {
        var keys: Set<String> = []
        var calls: [String] = []
        var refuse: Set<String> = []
        var failListing = false
        var modified: [String: Date] = [:]
    }
    private let state = Mutex(State())
    private let nextBatch = Mutex<(@Sendable () async -> Void)?>(nil)

    init(keys: [String] = []) { state.withLock { $0.keys = Set(keys) } }

    func store(for destination: DestinationConfig) throws -> any BackupObjectStore { self }

    var keys: [String] { state.withLock { $0.keys.sorted() } }
    var calls: [String] { state.withLock { $0.calls } }
    func add(_ keys: [String]) { state.withLock { $0.keys.formUnion(keys) } }
    func refuse(_ keys: [String]) { state.withLock { $0.refuse.formUnion(keys) } }
    func failListing(_ fail: Bool) { state.withLock { $0.failListing = fail } }
    /// Adds `key` with a LastModified (keys added otherwise are listed without one).
    func add(_ key: String, modified: Date) { state.withLock { $0.keys.insert(key); $0.modified[key] = modified } }

    func list(prefix: String) async throws -> [StoredObject] {
        try state.withLock { s in
            if s.failListing { throw ListingFailed() }
            return s.keys.filter { $0.hasPrefix(prefix) }.sorted().map { StoredObject(key: $0, size: 1, lastModified: s.modified[$0]) }
        }
    }

    /// Runs `action` once, after the next batch delete and before it answers.
    func afterNextBatch(_ action: @escaping @Sendable () async -> Void) { nextBatch.withLock { $0 = action } }

    func deleteBatch(keys: [String]) async throws -> [DeletionRefusal] {
        let refused = deleteNow(keys: keys)
        if let action = nextBatch.withLock({ next -> (@Sendable () async -> Void)? in defer { next = nil }; return next }) { await action() }
        return refused
    }

    private func deleteNow(keys: [String]) -> [DeletionRefusal] {
        state.withLock { s in
            s.calls.append("batch " + keys.joined(separator: " "))
            var refused: [DeletionRefusal] = []
            for key in keys {
                if s.refuse.contains(key) {
                    refused.append(DeletionRefusal(key: key, code: "AccessDenied", message: "object is WORM protected"))
                } else {
                    s.keys.remove(key)
                }
            }
            return refused
        }
    }

    func deleteOne(key: String) throws {
        try state.withLock { s in
            s.calls.append("one " + key)
            if s.refuse.contains(key) {
                throw S3Error.accessDenied(operation: "DeleteObject", bucket: "b", key: key, message: "object is WORM protected")
            }
            s.keys.remove(key)
        }
    }

    func delete(keys: [String]) async throws { _ = try await deleteBatch(keys: keys) }

    func upload(
        key: String, from source: any ByteSource, metadata: [String: String], uploadStarted: (String) -> Void
    ) async throws -> UploadReceipt { throw Unsupported() }
    func head(key: String) throws -> StoredObject? { state.withLock { $0.keys.contains(key) } ? StoredObject(key: key, size: 1) : nil }
    func download(key: String, to sink: @escaping (UnsafeRawBufferPointer) throws -> Void) async throws {
        guard key.hasSuffix(".manifest.json"), state.withLock({ $0.keys.contains(key) }) else { throw Unsupported() }
        try Array(TestManifest.json(for: key).utf8).withUnsafeBytes { try sink($0) }
    }
    func abortUpload(key: String, uploadID: String) throws {}
    func openUploads(prefix: String) throws -> [OpenUpload] { [] }
}

extension RetentionFixtures {
    /// The keys of a token-named backup of `job` under `prefix` taken at `time`: its dump, its
    /// globals (PostgreSQL) and its manifest (unless `complete` is false).
    static func backupKeys(prefix: String = "db", job: String = "app", time: String, token: String, globals: Bool = false, complete: Bool = true) -> [String] {
        let id = "\(prefix)/\(job)-\(ObjectName.timestamp(at(time)))-\(token)"
        var keys = [id + ".dump.zst"]
        if globals { keys.append(id + ".globals.sql.zst") }
        if complete { keys.append(id + ".manifest.json") }
        return keys
    }
}
