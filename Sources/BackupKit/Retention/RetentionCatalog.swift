import BackupCore
import ConfigKit
import Foundation

/// Lists the backups of a job in its bucket, for retention: `ManifestRetentionCatalog` (a backup
/// is complete when its manifest parses) or `NameCatalog` (from object names alone).
public protocol RetentionCatalog: Sendable {
    /// Every backup of `job` in `store` (all listing pages read, or this throws), complete or not.
    func backups(of job: JobConfig, in store: any BackupObjectStore) async throws -> [CatalogBackup]
    /// The backups and the strangers of one listing of `job` in `store`.
    func listing(of job: JobConfig, in store: any BackupObjectStore) async throws -> RetentionListing
}

/// One backup as retention sees it: its id, its time and the objects that make it up.
public struct CatalogBackup: Sendable, Hashable {
    /// `app-20261201T091500Z-3f9a1c2e`, or `app-20261201T091500Z` for a legacy backup.
    public var id: String
    /// When it was taken, from its name (never LastModified).
    public var time: Date
    /// The manifest's key, when it exists.
    public var manifestKey: String?
    /// Every other object of the backup (dumps, globals, segments), in key order.
    public var dataKeys: [String]
    /// Whether it predates manifests (a token-less name): complete as soon as its object exists.
    public var legacy: Bool

    /// Describes a backup.
    public init(id: String, time: Date, manifestKey: String?, dataKeys: [String], legacy: Bool) {
        self.id = id
        self.time = time
        self.manifestKey = manifestKey
        self.dataKeys = dataKeys
        self.legacy = legacy
    }

    /// A backup exists when its manifest does (or, for a legacy backup, when any object does).
    public var isComplete: Bool { legacy || manifestKey != nil }

    /// Every key, manifest first: the order prune deletes them in.
    public var allKeys: [String] { (manifestKey.map { [$0] } ?? []) + dataKeys }
}
