import BackupCore
import ConfigKit
import Logging
import Synchronization

/// Opens stores that keep the bodies of small objects they downloaded (manifests, claims) and
/// answer a later read from memory while the latest listing still shows the same ETag: what the
/// daemon's periodic fleet read needs so that it lists, rather than downloads, an unchanged
/// bucket. A key the latest listing of its prefix no longer shows is forgotten; a key never
/// listed, or listed without an ETag, is always downloaded. One cache per destination.
public final class ReadCachingStoreProvider: ObjectStoreProvider {
    /// Objects larger than this are never kept.
    static let largestKept = 256 * 1024

    private let base: any ObjectStoreProvider
    private let caches = Mutex<[String: ReadCache]>([:])

    /// Caches reads through `base`'s stores.
    public init(base: any ObjectStoreProvider) {
        self.base = base
    }

    public func store(for destination: DestinationConfig) throws -> any BackupObjectStore {
        ReadCachingStore(inner: try base.store(for: destination), cache: cache(destination))
    }

    public func store(for destination: DestinationConfig, logger: Logger) throws -> any BackupObjectStore {
        ReadCachingStore(inner: try base.store(for: destination, logger: logger), cache: cache(destination))
    }

    private func cache(_ destination: DestinationConfig) -> ReadCache {
        let id = [destination.name, destination.endpoint.absoluteString, destination.bucket].joined(separator: "\u{0}")
        return caches.withLock { caches in
            if let cache = caches[id] { return cache }
            let cache = ReadCache()
            caches[id] = cache
            return cache
        }
    }
}

/// The listed ETags and kept bodies of one destination.
final class ReadCache: Sendable {
    private struct State {
        var listed: [String: String] = [:]
        var bodies: [String: (etag: String, bytes: [UInt8])] = [:]
    }

    private let state = Mutex(State())

    /// Records a complete listing of `prefix`: keys under it that are gone are forgotten.
    func listed(prefix: String, _ objects: [StoredObject]) {
        state.withLock { state in
            let present = Set(objects.map(\.key))
            state.listed = state.listed.filter { !$0.key.hasPrefix(prefix) || present.contains($0.key) }
            state.bodies = state.bodies.filter { !$0.key.hasPrefix(prefix) || present.contains($0.key) }
            for object in objects {
                if let etag = object.etag { state.listed[object.key] = etag } else { state.listed[object.key] = nil }
            }
        }
    }

    /// The kept body of `key` when the latest listing shows the ETag it was kept under.
    func body(of key: String) -> [UInt8]? {
        state.withLock { state in
            guard let etag = state.listed[key], let kept = state.bodies[key], kept.etag == etag else { return nil }
            return kept.bytes
        }
    }

    /// The ETag the latest listing showed for `key`.
    func etag(of key: String) -> String? { state.withLock { $0.listed[key] } }

    /// Keeps `bytes` for `key` under `etag`.
    func keep(_ key: String, etag: String, bytes: [UInt8]) {
        state.withLock { $0.bodies[key] = (etag, bytes) }
    }
}

/// A store that answers reads from its `ReadCache` where it can.
struct ReadCachingStore: ForwardingObjectStore {
    let inner: any BackupObjectStore
    let cache: ReadCache

    var forwardee: any BackupObjectStore { inner }

    func list(prefix: String) async throws -> [StoredObject] {
        let objects = try await inner.list(prefix: prefix)
        cache.listed(prefix: prefix, objects)
        return objects
    }

    func download(key: String, to sink: @escaping (UnsafeRawBufferPointer) throws -> Void) async throws {
        if let kept = cache.body(of: key) {
            try kept.withUnsafeBytes { try sink($0) }
            return
        }
        let etag = cache.etag(of: key)
        let bytes = BytesBox()
        try await inner.download(key: key) { chunk in
            if bytes.value.count <= ReadCachingStoreProvider.largestKept { bytes.value.append(contentsOf: chunk) }
            try sink(chunk)
        }
        if let etag, bytes.value.count <= ReadCachingStoreProvider.largestKept { cache.keep(key, etag: etag, bytes: bytes.value) }
    }
}
