import Foundation

/// What a prune of one job will do: every complete backup with its decision, and the incomplete
/// backups (data without a manifest) it removes or leaves for now.
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

    /// The backups to delete, oldest first: retention's, then the stale incomplete ones.
    public var deletions: [(backup: CatalogBackup, cause: DeletionRecord.Cause)] {
        entries.reversed().filter { !$0.decision.keep }.map { ($0.backup, .retention) } + staleIncomplete.map { ($0, .incomplete) }
    }

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
        entries.map { ($0.backup, $0.decision.summary) }
            + staleIncomplete.map { ($0, "incomplete, delete") } + pendingIncomplete.map { ($0, "incomplete, keep") }
    }
}
