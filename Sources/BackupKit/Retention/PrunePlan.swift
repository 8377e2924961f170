import BackupHistory
import Foundation

/// What a prune of one job will do: every complete backup with its decision, the incomplete
/// backups (data without a manifest) it removes or leaves for now, the backups the history calls
/// stored whose manifest is missing (never deleted; while there is one, nothing of the job is
/// deleted at that destination), and the strangers (never deleted).
public struct PrunePlan: Sendable {
    /// A complete backup and what retention decided for it.
    public struct Entry: Sendable, Hashable {
        /// The backup.
        public var backup: CatalogBackup
        /// Keep (with reasons) or delete.
        public var decision: RetentionDecision
    }

    /// The job's name.
    public var job: String
    /// Complete backups, newest first.
    public var entries: [Entry]
    /// Incomplete backups older than the job's timeout plus `Pruner.incompleteMargin`: removed.
    public var staleIncomplete: [CatalogBackup]
    /// Incomplete backups young enough to still be running: left alone.
    public var pendingIncomplete: [CatalogBackup]
    /// Backups the history records as stored at this destination whose manifest is missing from
    /// the listing (or unreadable): never deleted; `verify` tells what happened.
    public var manifestMissing: [CatalogBackup] = []
    /// Keys under the job's prefix that are no backup name: never deleted.
    public var strangers: [String] = []

    /// Why nothing is deleted this time although the policy would (nil: deletions go ahead). A
    /// stored backup without its manifest means the listing and the history disagree, so no
    /// deletion of the job at this destination rests on that listing.
    public var withheld: String? {
        guard !manifestMissing.isEmpty else { return nil }
        let ids = manifestMissing.map(\.id).joined(separator: ", ")
        return "nothing is deleted for \(job) here: the history records \(ids) as stored, but the listing has no readable manifest for "
            + (manifestMissing.count == 1 ? "it" : "them") + "; run `backupd verify \(job) \(manifestMissing[0].id)`"
    }

    /// What the policy and the age rule would delete, oldest first: retention's, then the stale incomplete ones.
    public var planned: [(backup: CatalogBackup, cause: DeletionRecord.Cause)] {
        entries.reversed().filter { !$0.decision.keep }.map { ($0.backup, .retention) } + staleIncomplete.map { ($0, .incomplete) }
    }

    /// The backups to delete, oldest first: `planned`, or none when `withheld`.
    public var deletions: [(backup: CatalogBackup, cause: DeletionRecord.Cause)] {
        withheld == nil ? planned : []
    }

    /// What prune says of a stored backup whose manifest is missing.
    public static let manifestMissingSummary = "manifest missing: not deleting, run `backupd verify`"

    /// The decision for a backup id.
    public func decision(for id: String) -> RetentionDecision? {
        entries.first { $0.backup.id == id }?.decision
    }

    /// What prune does with the backup an object belongs to, by object key (`keep (last)`,
    /// `delete`, `incomplete, delete`, `incomplete, keep`), for `list`'s reason column.
    public var summaryByKey: [String: String] {
        var result: [String: String] = [:]
        for (backup, summary) in summaries { for key in backup.allKeys { result[key] = summary } }
        return result
    }

    /// The same, by backup id, for `list`'s RETENTION column.
    public var summaryByBackupID: [String: String] {
        Dictionary(summaries.map { ($0.backup.id, $0.summary) }, uniquingKeysWith: { first, _ in first })
    }

    private var summaries: [(backup: CatalogBackup, summary: String)] {
        let held = withheld != nil
        return entries.map { ($0.backup, held && !$0.decision.keep ? "delete (withheld: a stored backup's manifest is missing)" : $0.decision.summary) }
            + staleIncomplete.map { ($0, held ? "incomplete, delete (withheld)" : "incomplete, delete") }
            + pendingIncomplete.map { ($0, "incomplete, keep") }
            + manifestMissing.map { ($0, Self.manifestMissingSummary) }
    }
}
