import BackupCore
import ConfigKit
import Foundation

extension Pruner {
    /// Lists the job's backups at `destination`, reads the history's account of them and decides.
    func plan(job: JobConfig, store: any PrunableStore, destination: DestinationConfig) async throws(PruneError) -> PrunePlan {
        let listing: RetentionListing
        do {
            listing = try await catalog.listing(of: job, in: store)
        } catch {
            throw .listingFailed(job: job.name, prefix: ObjectName.listPrefix(prefix: job.prefix, job: job.name), reason: "\(error)")
        }
        let witness: RetentionWitness
        do {
            let incomplete = listing.backups.filter { !$0.isComplete }
            witness = try history.map { history in
                // The recent stored backups too, so that one missing from the listing altogether is noticed.
                var read = try RetentionWitness.read(from: history, job: job, destination: destination, about: incomplete)
                read.stored.merge(try RetentionWitness.readNewest(from: history, job: job, destination: destination).stored) { first, _ in first }
                return read
            } ?? .unknown
        } catch {
            throw .historyUnreadable(job: job.name, reason: "\(error)")
        }
        let suspicious: Set<String>
        do {
            suspicious = try suspicion.suspiciousBackupIDs(job: job.name, among: listing.backups.filter(\.isComplete).map(\.id))
        } catch {
            throw .suspicionUnknown(job: job.name, reason: "\(error)")
        }
        return Self.plan(job: job, listing: listing, witness: witness, now: clock.now(), suspicious: suspicious)
    }

    /// The plan for `listing` with the history's `witness`. Pure. A complete backup goes to the
    /// policy; a backup without a (readable) manifest is, in this order: explained when prune
    /// deleted its manifest (delete the rest); "manifest missing" when the history records it as
    /// stored here (kept, and the whole job's deletions are withheld; so is a backup the witness
    /// calls stored of which no object is listed at all); pending while its run is
    /// live; stale when its run ended without a manifest, or when it is older than the job's
    /// timeout plus `incompleteMargin`; else pending. `suspicious` backups count toward no rule.
    public static func plan(
        job: JobConfig, listing: RetentionListing, witness: RetentionWitness, now: Date, suspicious: Set<String> = []
    ) -> PrunePlan {
        let backups = listing.backups
        let complete = backups.filter(\.isComplete)
        let decisions = RetentionPlanner(policy: job.retention, zone: job.timeZone)
            .plan(complete.map { (id: $0.id, time: $0.time) }, now: now, suspicious: suspicious)
        let byID = Dictionary(complete.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        let entries = decisions.compactMap { decision in byID[decision.id].map { PrunePlan.Entry(backup: $0, decision: decision) } }
        let staleBefore = now.addingTimeInterval(-(job.timeout + incompleteMargin).seconds)
        var stale: [CatalogBackup] = []
        var pending: [CatalogBackup] = []
        var missing: [CatalogBackup] = []
        for backup in backups where !backup.isComplete {
            if witness.manifestDeleted.contains(backup.id) {
                stale.append(backup)
            } else if witness.stored[backup.id] != nil {
                missing.append(backup)
            } else if witness.isLive(backup) {
                pending.append(backup)
            } else if witness.endedWithoutManifest.contains(backup.id) || backup.time < staleBefore {
                stale.append(backup)
            } else {
                pending.append(backup)
            }
        }
        let listed = Set(backups.map(\.id))
        for (id, time) in witness.stored where !listed.contains(id) && !witness.manifestDeleted.contains(id) {
            missing.append(CatalogBackup(id: id, time: time, manifestKey: nil, dataKeys: [], legacy: false))
        }
        missing.sort { ($0.time, $0.id) < ($1.time, $1.id) }
        var plan = PrunePlan(job: job.name, entries: entries, staleIncomplete: stale, pendingIncomplete: pending)
        plan.manifestMissing = missing
        plan.strangers = listing.strangers
        return plan
    }
}
