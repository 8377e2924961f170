import ConfigKit
import Foundation
import Logging

/// `verify` of a PITR job's WAL: lists the job's base backups and its whole WAL archive at one
/// destination (every page, pagination checked) and checks each base backup's chain with `WALChain`.
public struct WALChainVerifier: Sendable {
    /// Opens destinations' stores.
    public let stores: any ObjectStoreProvider

    /// A verifier reading through `stores`.
    public init(stores: any ObjectStoreProvider) {
        self.stores = stores
    }

    /// The chain of every usable base backup of `job` at its (first) destination, oldest first.
    public func check(job: JobConfig, config: BackupConfig, logger: Logger) async throws -> [WALChain.Result] {
        guard job.pitr != nil else { throw WALError.notPITRJob(job: job.name) }
        guard let destination = config.destination(named: job.destination) else {
            throw PruneError.noDestination(job: job.name, destination: job.destination)
        }
        let store = try stores.store(for: destination, logger: logger)
        let bases = try await BackupCatalog(store: store, job: job).entries().compactMap { entry -> WALRetentionPlan.KeptBase? in
            guard entry.isUsable, let manifest = entry.manifest, let info = manifest.baseBackup else { return nil }
            return .init(id: entry.id, endedAt: manifest.endedAt, info: info)
        }.sorted { $0.endedAt < $1.endedAt }
        let prefix = WALFileName.archivePrefix(prefix: job.prefix, job: job.name)
        let listing = WALListing(objects: try await store.list(prefix: prefix), archivePrefix: prefix)
        let results = WALChain.check(listing: listing, bases: bases)
        for result in results where !result.isComplete {
            logger.warning("WAL chain has a gap", metadata: [
                "job.name": "\(job.name)", "backup.id": "\(result.base.id)", "wal.missing": "\(result.missing.first ?? "")",
            ])
        }
        return results
    }
}
