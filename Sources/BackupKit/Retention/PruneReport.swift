import BackupHistory

/// What a prune did: its plan, and for every object it deleted or could not delete, a record.
public struct PruneReport: Sendable {
    /// The plan that was carried out (or only shown, in a dry run).
    public var plan: PrunePlan
    /// Whether nothing was deleted because this was a dry run.
    public var dryRun: Bool
    /// Every object touched: deleted, refused (with the reason) or skipped.
    public var records: [DeletionRecord]
    /// A PITR job's WAL retention (nil for other jobs); its deletions are in `records` with cause `wal`.
    public var wal: WALRetentionPlan? = nil

    /// Objects deleted.
    public var deleted: [DeletionRecord] { records.filter { $0.outcome == .deleted } }
    /// Objects the service refused to delete, with the reason.
    public var refused: [DeletionRecord] { records.filter { $0.outcome == .refused } }
}
