import BackupCore
import BackupHistory
import ConfigKit
import Foundation
import Logging

/// Carries out a job's retention policy on its bucket: lists every backup (all pages, or
/// nothing is deleted), plans with `RetentionPlanner`, and deletes what it drops (each backup's
/// manifest first, then its data objects, so an interrupted prune leaves an incomplete backup,
/// never a listed one missing a file), plus incomplete backups whose run the history says ended
/// without a manifest or that are older than the job's timeout and a margin (see `plan(job:listing:witness:now:)`).
/// The history is the second witness: a backup it records as stored whose manifest is missing is
/// never deleted, and then nothing else of the job is deleted there either. Strangers (keys that
/// are no backup name) are never deleted. Every object deleted or refused is logged and recorded
/// in the history.
public struct Pruner: Sendable {
    /// How long past its job's timeout an incomplete backup must be before prune removes it.
    public static let incompleteMargin: Duration = .seconds(3600)
    /// DeleteObjects takes at most this many keys.
    static let batchSize = 1000

    /// Opens destinations' stores.
    public let stores: any ObjectStoreProvider
    /// Lists a job's backups.
    public let catalog: any RetentionCatalog
    /// Where deletions are recorded (nil: not recorded, for a read-only plan).
    public let history: HistoryStore?
    /// The source of time.
    public let clock: any WallClock
    /// Which backups are suspicious (kept as extras, counted by no rule).
    public let suspicion: any SuspicionSource

    /// A pruner; `suspicion` defaults to the history when there is one.
    public init(
        stores: any ObjectStoreProvider, catalog: any RetentionCatalog = ManifestRetentionCatalog(), history: HistoryStore?, clock: any WallClock,
        suspicion: (any SuspicionSource)? = nil
    ) {
        self.stores = stores
        self.catalog = catalog
        self.history = history
        self.clock = clock
        self.suspicion = suspicion ?? history ?? NoSuspicion()
    }

    /// Lists the job's backups and decides; deletes nothing.
    public func plan(job: JobConfig, config: BackupConfig, logger: Logger) async throws(PruneError) -> PrunePlan {
        let (store, destination) = try store(job: job, config: config, logger: logger)
        return try await plan(job: job, store: store, destination: destination)
    }

    /// Plans and, unless `dryRun`, deletes. Throws only when nothing could be deleted; a refused
    /// object is in the report's records.
    public func prune(job: JobConfig, config: BackupConfig, dryRun: Bool, logger baseLogger: Logger) async throws(PruneError) -> PruneReport {
        var logger = baseLogger
        logger[metadataKey: "job.name"] = "\(job.name)"
        let (store, destination) = try store(job: job, config: config, logger: logger)
        let plan = try await plan(job: job, store: store, destination: destination)
        for backup in plan.pendingIncomplete {
            logger.info("incomplete backup left alone: it may still be running", metadata: ["backup.id": "\(backup.id)"])
        }
        for backup in plan.manifestMissing {
            logger.error("manifest missing: not deleting, run `backupd verify`", metadata: ["backup.id": "\(backup.id)"])
        }
        if let withheld = plan.withheld, !plan.planned.isEmpty {
            logger.error("prune deleted nothing", metadata: ["prune.reason": "\(withheld)", "prune.withheld": "\(plan.planned.count)"])
        }
        for key in plan.strangers {
            logger.info("stranger left alone: not a backup name", metadata: ["s3.key": "\(key)"])
        }
        guard !dryRun else {
            let wal = await planWAL(job: job, plan: plan, remaining: Self.remainingBackups(plan: plan, records: nil), store: store)
            return PruneReport(plan: plan, dryRun: true, records: [], wal: wal)
        }
        var records = await delete(plan.deletions, job: job, destination: destination, store: store, logger: logger)
        // WAL goes only after the base backups it served, on what is left of them.
        let wal = await planWAL(job: job, plan: plan, remaining: Self.remainingBackups(plan: plan, records: records), store: store)
        if let wal {
            if let withheld = wal.withheld { logger.warning("WAL kept", metadata: ["prune.reason": "\(withheld)"]) }
            records += await deleteWAL(wal, job: job, destination: destination, store: store, logger: logger)
        }
        if let history, !records.isEmpty {
            do {
                try history.recordDeletions(records)
            } catch {
                logger.error("cannot record deletions in the history", metadata: ["error": "\(error)"])
            }
        }
        let kept = plan.entries.filter(\.decision.keep).count
        logger.info("prune finished", metadata: [
            "prune.kept": "\(kept)", "prune.deleted": "\(records.filter { $0.outcome == .deleted }.count)",
            "prune.refused": "\(records.filter { $0.outcome == .refused }.count)",
        ])
        return PruneReport(plan: plan, dryRun: false, records: records, wal: wal)
    }

    func store(job: JobConfig, config: BackupConfig, logger: Logger) throws(PruneError) -> (store: any PrunableStore, destination: DestinationConfig) {
        guard let destination = config.destination(named: job.destination) else {
            throw .noDestination(job: job.name, destination: job.destination)
        }
        let opened: any BackupObjectStore
        do {
            opened = try stores.store(for: destination, logger: logger)
        } catch {
            throw .listingFailed(job: job.name, prefix: ObjectName.listPrefix(prefix: job.prefix, job: job.name), reason: "\(error)")
        }
        guard let store = opened as? any PrunableStore else { throw .storeCannotPrune(destination: destination.name) }
        return (store, destination)
    }

    /// Deletes manifests first, then the data objects of the backups whose manifest is gone.
    private func delete(
        _ deletions: [(backup: CatalogBackup, cause: DeletionRecord.Cause)], job: JobConfig, destination: DestinationConfig,
        store: any PrunableStore, logger: Logger
    ) async -> [DeletionRecord] {
        var records: [DeletionRecord] = []
        func record(_ backup: CatalogBackup, _ cause: DeletionRecord.Cause, _ key: String, _ failure: String?, skipped: Bool = false) {
            let outcome: DeletionRecord.Outcome = skipped ? .skipped : failure == nil ? .deleted : .refused
            records.append(DeletionRecord(
                job: job.name, destination: destination.name, bucket: destination.bucket, backupID: backup.id, objectKey: key,
                at: clock.now(), cause: cause, outcome: outcome, error: failure))
            let metadata: Logger.Metadata = ["backup.id": "\(backup.id)", "s3.key": "\(key)", "prune.cause": "\(cause.rawValue)"]
            switch outcome {
            case .deleted: logger.info("deleted object", metadata: metadata)
            case .refused: logger.warning("deletion refused", metadata: metadata.merging(["error": "\(failure ?? "")"]) { $1 })
            case .skipped: logger.warning("object kept: its backup's manifest could not be deleted", metadata: metadata)
            }
        }
        let manifests = deletions.compactMap { item in item.backup.manifestKey.map { (item, $0) } }
        let manifestFailures = await deleteKeys(manifests.map(\.1), store: store, multi: destination.providerProfile.multiObjectDelete)
        var blocked = Set<String>()
        for (item, key) in manifests {
            if manifestFailures[key] != nil { blocked.insert(item.backup.id) }
            record(item.backup, item.cause, key, manifestFailures[key])
        }
        let data = deletions.flatMap { item in item.backup.dataKeys.map { (item, $0) } }
        let toDelete = data.filter { !blocked.contains($0.0.backup.id) }
        let dataFailures = await deleteKeys(toDelete.map(\.1), store: store, multi: destination.providerProfile.multiObjectDelete)
        for (item, key) in data {
            if blocked.contains(item.backup.id) {
                record(item.backup, item.cause, key, nil, skipped: true)
            } else {
                record(item.backup, item.cause, key, dataFailures[key])
            }
        }
        return records
    }

    /// Deletes `keys` once each (never retried in a loop); returns the reason for each key not deleted.
    func deleteKeys(_ keys: [String], store: any PrunableStore, multi: Bool) async -> [String: String] {
        var failures: [String: String] = [:]
        if multi {
            var start = 0
            while start < keys.count {
                let batch = Array(keys[start..<min(start + Self.batchSize, keys.count)])
                start += batch.count
                do {
                    for refusal in try await store.deleteBatch(keys: batch) {
                        failures[refusal.key] = "\(refusal.code)\(refusal.message.isEmpty ? "" : ": \(refusal.message)")"
                    }
                } catch {
                    for key in batch { failures[key] = "\(error)" }
                }
            }
        } else {
            for key in keys {
                do {
                    try await store.deleteOne(key: key)
                } catch {
                    failures[key] = "\(error)"
                }
            }
        }
        return failures
    }
}
