import BackupCore
import ConfigKit
import Foundation
import Logging

/// The backups of one job in its bucket, read from every page of the listing: a backup is
/// complete exactly when its manifest exists and parses. Only keys that match the job's
/// `BackupNameGrammar` whole are part of a backup; other keys under the job's listing prefix are
/// strangers. `list`, `verify`, `restore` and retention all read backups through this type.
public struct BackupCatalog: Sendable {
    /// The bucket.
    public let store: any BackupObjectStore
    /// The job's object-name prefix.
    public let prefix: String
    /// The job's name.
    public let job: String
    /// The names that make up a backup of the job.
    public let grammar: BackupNameGrammar

    /// A catalog of `job`'s backups under `prefix` in `store` (every engine's extensions, plus `extraExtensions`).
    public init(store: any BackupObjectStore, prefix: String, job: String, extraExtensions: [String] = []) {
        self.store = store
        self.prefix = prefix
        self.job = job
        self.grammar = BackupNameGrammar(prefix: prefix, job: job, extraExtensions: extraExtensions)
    }

    /// A catalog of a configured job.
    public init(store: any BackupObjectStore, job: JobConfig) {
        self.store = store
        self.prefix = job.prefix
        self.job = job.name
        self.grammar = BackupNameGrammar(job: job)
    }

    /// What one listing holds: the backups, newest first, and the strangers (keys under the job's
    /// listing prefix that are no backup name of this job nor of a neighbour job), key order.
    public struct Listing: Sendable {
        /// The backups (incomplete ones only when asked for).
        public var entries: [CatalogEntry]
        /// Objects that are not part of any backup: never deleted, shown by `list --all`.
        public var strangers: [StoredObject]
    }

    /// Every backup, newest first. Incomplete ones only with `includeIncomplete`.
    public func entries(includeIncomplete: Bool = false) async throws -> [CatalogEntry] {
        try await listing(includeIncomplete: includeIncomplete).entries
    }

    /// The backups and the strangers of one listing.
    public func listing(includeIncomplete: Bool = false) async throws -> Listing {
        var groups: [String: (time: Date, token: String?, manifest: StoredObject?, objects: [StoredObject])] = [:]
        var strangers: [StoredObject] = []
        for object in try await store.list(prefix: ObjectName.listPrefix(prefix: prefix, job: job)) {
            guard let parsed = grammar.parse(object.key) else {
                if !grammar.isNeighbours(object.key) { strangers.append(object) }
                continue
            }
            var group = groups[parsed.backupID] ?? (parsed.time, parsed.token, nil, [])
            if parsed.suffix == ObjectName.manifestSuffix {
                group.manifest = object
            } else {
                group.objects.append(object)
            }
            groups[parsed.backupID] = group
        }
        var result: [CatalogEntry] = []
        for (id, group) in groups {
            let entry = try await self.entry(id: id, time: group.time, token: group.token, manifest: group.manifest, objects: group.objects)
            if includeIncomplete || entry.isUsable { result.append(entry) }
        }
        return Listing(entries: result.sorted { ($0.time, $0.id) > ($1.time, $1.id) }, strangers: strangers.sorted { $0.key < $1.key })
    }

    /// The newest usable backup, if any.
    public func latest() async throws -> CatalogEntry? {
        try await entries().first
    }

    /// The backup named by `reference`: its id, its manifest key, or the key (or name under the
    /// prefix) of one of its objects. Incomplete backups are found too, so a caller can say why.
    public func entry(named reference: String) async throws -> CatalogEntry? {
        let key = reference.contains("/") || prefix.isEmpty ? reference : "\(prefix)/\(reference)"
        let id = grammar.parse(key)?.backupID ?? reference
        return try await entries(includeIncomplete: true).first { $0.id == id }
    }

    private func entry(id: String, time: Date, token: String?, manifest: StoredObject?, objects: [StoredObject]) async throws -> CatalogEntry {
        let sorted = objects.sorted { $0.key < $1.key }
        if let manifest {
            do {
                let parsed = try BackupManifest.parse(try await store.read(key: manifest.key), key: manifest.key)
                return CatalogEntry(id: id, time: time, state: .complete, manifestKey: manifest.key, manifest: parsed, objects: sorted)
            } catch let error as ManifestError {
                return CatalogEntry(
                    id: id, time: time, state: .incomplete, manifestKey: manifest.key, manifest: nil, objects: sorted,
                    problem: error.description)
            }
        }
        if token == nil, let legacy = try await legacyManifest(id: id, time: time, objects: sorted) {
            return CatalogEntry(id: id, time: time, state: .legacy, manifestKey: nil, manifest: legacy, objects: sorted)
        }
        return CatalogEntry(
            id: id, time: time, state: .incomplete, manifestKey: nil, manifest: nil, objects: sorted,
            problem: "no manifest: the run did not finish (or was interrupted before writing \(ObjectName.manifestKey(prefix: prefix, backupID: id)))")
    }

    /// A manifest made up from the objects' metadata, for backups written before manifests: each
    /// object must carry the `sha256` the old uploader recorded.
    private func legacyManifest(id: String, time: Date, objects: [StoredObject]) async throws -> BackupManifest? {
        var entries: [BackupManifest.Object] = []
        var engine = ""
        var compression = ""
        var tool = BackupManifest.Tool(name: "", version: "")
        for object in objects {
            guard let head = try await store.head(key: object.key), let digest = head.metadata["sha256"], BackupManifest.isDigest(digest) else {
                return nil
            }
            let isGlobals = object.key.contains(".globals.")
            entries.append(BackupManifest.Object(
                role: isGlobals ? "globals" : "dump", key: object.key, tool: head.metadata["tool"] ?? "", size: head.size,
                sha256: digest, partSize: 0, partCount: 0, etag: head.etag ?? ""))
            if !isGlobals {
                engine = head.metadata["engine"] ?? ""
                compression = head.metadata["compression"] ?? Compression.of(objectKey: object.key).rawValue
                tool = BackupManifest.Tool(name: head.metadata["tool"] ?? "", version: head.metadata["tool-version"] ?? "")
            }
        }
        guard !entries.isEmpty else { return nil }
        entries.sort { ($0.role == "dump" ? 0 : 1, $0.key) < ($1.role == "dump" ? 0 : 1, $1.key) }
        return BackupManifest(
            backupId: id, job: job, engine: engine, host: "", trigger: nil, runId: nil, startedAt: time, endedAt: time, tool: tool,
            serverVersion: nil, backupd: BackupManifest.Tool(name: "backupd", version: ""), compression: compression,
            encryption: nil, destination: "", bucket: "", copies: [], objects: entries)
    }
}
