import BackupCore
import BackupHistory
import ConfigKit
import Foundation
import Logging

extension Pruner {
    /// The retention horizon of a `runOn: "any"` job's run-slot claims after `report`: the time of
    /// the oldest backup it keeps (complete, or incomplete and perhaps still running), less
    /// `ClaimKey.skewAllowance`. Nil, and no claim deleted, when the plan was withheld or keeps nothing.
    /// Backup times and slots come from the hosts' clocks: a host ahead runs a slot early, one
    /// behind reaches it late and must still find its claim `done`, or it would run it again.
    public static func claimHorizon(_ report: PruneReport) -> Date? {
        let plan = report.plan
        guard plan.withheld == nil else { return nil }
        let kept = plan.entries.filter(\.decision.keep).map(\.backup.time) + plan.pendingIncomplete.map(\.time)
        return kept.min()?.addingTimeInterval(-ClaimKey.skewAllowance)
    }

    /// The run-slot claims to delete from a complete listing of the job's claims folder: keys
    /// that name a slot before `horizon` and were last written before it too (a claim still being
    /// renewed is never old). Task claims, probe objects and any other key stay. Pure.
    public static func staleSlotClaims(_ listing: [StoredObject], folder: String, horizon: Date) -> [String] {
        listing.filter { object in
            guard let slot = ClaimKey.slot(ofKey: object.key, folder: folder), let written = object.lastModified else { return false }
            return slot < horizon && written < horizon
        }.map(\.key)
    }

    /// Deletes the job's run-slot claims older than `horizon` in the destination that keeps its
    /// claims (its first). Only from a listing read to its end: a listing that fails deletes
    /// nothing. Each claim deleted or refused is recorded in the history's deletions (cause
    /// `claim`, the slot as its backup id), as prune's other deletions are. Returns the keys deleted.
    public func pruneSlotClaims(job: JobConfig, config: BackupConfig, horizon: Date, logger: Logger) async -> [String] {
        guard job.runOn == .any, let first = job.destinations.first else { return [] }
        var log = logger
        log[metadataKey: "job.name"] = "\(job.name)"
        log[metadataKey: "s3.destination"] = "\(first)"
        let folder = ClaimKey.folder(prefix: job.prefix, job: job.name)
        let stale: [String]
        let opened: (store: any PrunableStore, destination: DestinationConfig)
        do {
            opened = try store(job: job.only(destination: first), config: config, logger: log)
            stale = Self.staleSlotClaims(try await opened.store.list(prefix: folder), folder: folder, horizon: horizon)
        } catch {
            log.warning("cannot list the job's claims; no claim was deleted", metadata: ["s3.prefix": "\(folder)", "error": "\(error)"])
            return []
        }
        guard !stale.isEmpty else { return [] }
        let failures = await deleteKeys(stale, store: opened.store, multi: opened.destination.providerProfile.multiObjectDelete)
        var records: [DeletionRecord] = []
        for key in stale {
            if let failure = failures[key] {
                log.warning("old slot claim not deleted", metadata: ["s3.key": "\(key)", "error": "\(failure)"])
            } else {
                log.info("deleted an old slot claim", metadata: ["s3.key": "\(key)", "claim.horizon": "\(horizon)"])
            }
            records.append(DeletionRecord(
                job: job.name, destination: opened.destination.name, bucket: opened.destination.bucket,
                backupID: ClaimKey.slot(ofKey: key, folder: folder).map(ClaimKey.slotText) ?? key, objectKey: key, at: clock.now(),
                cause: .claim, outcome: failures[key] == nil ? .deleted : .refused, error: failures[key]))
        }
        if let history {
            do {
                try history.recordDeletions(records)
            } catch {
                log.error("cannot record the deleted slot claims in the history", metadata: ["error": "\(error)"])
            }
        }
        return stale.filter { failures[$0] == nil }
    }
}
