import BackupCore
import ConfigKit

/// One listing of a job's objects as retention sees it: its backups and its strangers (keys
/// under the job's prefix that are no backup name; never deleted).
public struct RetentionListing: Sendable, Hashable {
    /// Every backup, complete or not.
    public var backups: [CatalogBackup]
    /// The strangers' keys, in key order.
    public var strangers: [String]

    /// Describes a listing.
    public init(backups: [CatalogBackup], strangers: [String] = []) {
        self.backups = backups
        self.strangers = strangers
    }
}

extension RetentionCatalog {
    /// The backups, and no strangers: for catalogs that do not tell them apart.
    public func listing(of job: JobConfig, in store: any BackupObjectStore) async throws -> RetentionListing {
        RetentionListing(backups: try await backups(of: job, in: store))
    }
}
