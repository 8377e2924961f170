import BackupCore
import BackupHistory
import ConfigKit
import Foundation
import Logging

extension Pruner {
    /// WAL retention for a PITR job (nil for other jobs): lists the whole WAL archive (every page,
    /// pagination checked) and reads the manifest of every base backup in `remaining`; deletes
    /// only on that evidence, and nothing while the backup prune itself was withheld.
    func planWAL(job: JobConfig, plan: PrunePlan, remaining: Set<String>, store: any PrunableStore) async -> WALRetentionPlan? {
        guard job.pitr != nil else { return nil }
        if plan.withheld != nil {
            return .withheld("no WAL is deleted: the backup prune was withheld (see above)")
        }
        var bases: [WALRetentionPlan.KeptBase] = []
        for entry in plan.entries where remaining.contains(entry.backup.id) {
            guard let key = entry.backup.manifestKey else {
                return .withheld("no WAL is deleted: base backup \(entry.backup.id) has no manifest to read its WAL start from")
            }
            do {
                let manifest = try BackupManifest.parse(try await store.read(key: key), key: key)
                guard let info = manifest.baseBackup else {
                    return .withheld("no WAL is deleted: \(key) records no base backup WAL range (not a pg_basebackup backup)")
                }
                bases.append(.init(id: entry.backup.id, endedAt: manifest.endedAt, info: info))
            } catch {
                return .withheld("no WAL is deleted: cannot read the manifest \(key): \(error)")
            }
        }
        let prefix = WALFileName.archivePrefix(prefix: job.prefix, job: job.name)
        let objects: [StoredObject]
        do {
            objects = try await store.list(prefix: prefix)
        } catch {
            var failed = WALRetentionPlan.withheld("no WAL is deleted: listing \(prefix) failed: \(error)")
            failed.listingFailed = true
            return failed
        }
        return WALRetentionPlan.plan(listing: WALListing(objects: objects, archivePrefix: prefix), bases: bases)
    }

    /// Deletes the WAL files of `plan` (once each) and returns a record for each.
    func deleteWAL(
        _ plan: WALRetentionPlan, job: JobConfig, destination: DestinationConfig, store: any PrunableStore, logger: Logger
    ) async -> [DeletionRecord] {
        guard plan.withheld == nil, !plan.deletions.isEmpty else { return [] }
        let failures = await deleteKeys(plan.deletions.map(\.key), store: store, multi: destination.providerProfile.multiObjectDelete)
        return plan.deletions.map { file in
            let failure = failures[file.key]
            let metadata: Logger.Metadata = ["wal.name": "\(file.name)", "s3.key": "\(file.key)", "wal.cutoff": "\(plan.cutoff ?? "")"]
            if let failure {
                logger.warning("WAL deletion refused", metadata: metadata.merging(["error": "\(failure)"]) { $1 })
            } else {
                logger.info("deleted WAL file older than the oldest kept base backup", metadata: metadata)
            }
            return DeletionRecord(
                job: job.name, destination: destination.name, bucket: destination.bucket, backupID: file.name.name, objectKey: file.key,
                at: clock.now(), cause: .wal, outcome: failure == nil ? .deleted : .refused, error: failure)
        }
    }

    /// The base backups still in the bucket after `records`: those the policy keeps, and those
    /// whose manifest prune could not delete.
    static func remainingBackups(plan: PrunePlan, records: [DeletionRecord]?) -> Set<String> {
        var remaining = Set(plan.entries.filter(\.decision.keep).map(\.backup.id))
        guard let records else { return remaining }
        let manifestsDeleted = Set(records.filter { $0.outcome == .deleted }.map(\.objectKey))
        for entry in plan.entries where !entry.decision.keep {
            if let key = entry.backup.manifestKey, !manifestsDeleted.contains(key) { remaining.insert(entry.backup.id) }
        }
        return remaining
    }
}
