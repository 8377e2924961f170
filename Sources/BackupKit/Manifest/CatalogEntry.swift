import BackupCore
import Foundation

/// One backup of a job in its bucket, as `BackupCatalog` finds it.
public struct CatalogEntry: Sendable, Hashable {
    /// Whether the backup can be used.
    public enum State: String, Sendable, Hashable {
        /// Its manifest exists and parses.
        case complete
        /// Written before manifests existed: a token-less name whose main object carries
        /// `x-amz-meta-sha256`; usable, with a manifest made up from its metadata.
        case legacy
        /// Data without a (readable) manifest: never restored by default; retention removes it.
        case incomplete
    }

    /// The backup id (`app-20261201T091500Z-3f9a1c2e`, or `app-20261201T091500Z` for old names).
    public var id: String
    /// The time in its name (the run's start, UTC).
    public var time: Date
    /// Its state.
    public var state: State
    /// The manifest's key; nil when it has none.
    public var manifestKey: String?
    /// The manifest (made up from object metadata for `legacy`); nil when incomplete.
    public var manifest: BackupManifest?
    /// Every object in the bucket under this id except the manifest, key order.
    public var objects: [StoredObject]
    /// Why an incomplete backup is incomplete.
    public var problem: String?

    /// Describes a backup.
    public init(
        id: String, time: Date, state: State, manifestKey: String?, manifest: BackupManifest?, objects: [StoredObject],
        problem: String? = nil
    ) {
        self.id = id
        self.time = time
        self.state = state
        self.manifestKey = manifestKey
        self.manifest = manifest
        self.objects = objects
        self.problem = problem
    }

    /// True for a backup `restore` and `verify` may use (complete or legacy).
    public var isUsable: Bool { manifest != nil && state != .incomplete }

    /// The data objects' keys.
    public var objectKeys: [String] { objects.map(\.key) }

    /// Every key of the backup, the manifest last (what deleting the backup removes).
    public var allKeys: [String] { objectKeys + (manifestKey.map { [$0] } ?? []) }

    /// Bytes of the data objects as listed.
    public var size: Int64 { objects.reduce(0) { $0 + $1.size } }
}
