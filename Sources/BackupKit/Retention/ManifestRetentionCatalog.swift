import BackupCore
import ConfigKit

/// Retention's view of `BackupCatalog`: a backup is complete exactly when its manifest exists and
/// parses (or it is a legacy backup with its digest); a manifest that does not parse makes the
/// backup incomplete, and the broken manifest is removed with its data.
public struct ManifestRetentionCatalog: RetentionCatalog {
    /// A catalog reading manifests.
    public init() {}

    public func backups(of job: JobConfig, in store: any BackupObjectStore) async throws -> [CatalogBackup] {
        try await listing(of: job, in: store).backups
    }

    public func listing(of job: JobConfig, in store: any BackupObjectStore) async throws -> RetentionListing {
        let listing = try await BackupCatalog(store: store, job: job).listing(includeIncomplete: true)
        let backups = listing.entries.map { entry in
            switch entry.state {
            case .complete, .legacy:
                return CatalogBackup(
                    id: entry.id, time: entry.time, manifestKey: entry.manifestKey, dataKeys: entry.objectKeys,
                    legacy: entry.state == .legacy)
            case .incomplete:
                return CatalogBackup(
                    id: entry.id, time: entry.time, manifestKey: nil,
                    dataKeys: (entry.manifestKey.map { [$0] } ?? []) + entry.objectKeys, legacy: false)
            }
        }
        return RetentionListing(backups: backups, strangers: listing.strangers.map(\.key))
    }
}
