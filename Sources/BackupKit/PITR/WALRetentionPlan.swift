import Foundation

/// What retention does to a PITR job's WAL at one destination: WAL segments (and `.partial` and
/// `.backup` files) older than the start segment of the oldest base backup that is kept are
/// deleted; every `.history` file is kept (they are tiny, and recovery to the latest timeline
/// reads the whole line of them); strangers are never deleted. When the evidence is short (a
/// listing failed, a kept base backup's manifest could not be read, no base backup is kept, the
/// backup prune withheld its deletions) nothing of the WAL is deleted and `withheld` says why.
public struct WALRetentionPlan: Sendable {
    /// A kept base backup as WAL retention sees it.
    public struct KeptBase: Sendable, Hashable {
        /// The backup's id.
        public var id: String
        /// When its last object was stored (its stop is no later).
        public var endedAt: Date
        /// Its WAL range.
        public var info: BaseBackupInfo

        /// Describes a kept base backup.
        public init(id: String, endedAt: Date, info: BaseBackupInfo) {
            self.id = id
            self.endedAt = endedAt
            self.info = info
        }
    }

    /// The WAL files to delete, oldest first.
    public var deletions: [WALListing.File] = []
    /// How many WAL files stay.
    public var kept = 0
    /// Keys under the archive's folder that are no WAL file name: never deleted.
    public var strangers: [String] = []
    /// The oldest kept base backup's start segment: WAL before it goes.
    public var cutoff: String?
    /// The base backup that sets the cutoff.
    public var oldestBase: KeptBase?
    /// Why nothing of the WAL is deleted (nil: deletions go ahead).
    public var withheld: String?
    /// Whether the WAL archive could not be listed (a failure of the prune, not only a precaution).
    public var listingFailed = false

    /// A plan that deletes nothing, for `reason`.
    public static func withheld(_ reason: String) -> WALRetentionPlan {
        var plan = WALRetentionPlan()
        plan.withheld = reason
        return plan
    }

    /// The plan for `listing` when `bases` are the base backups that remain. Pure.
    public static func plan(listing: WALListing, bases: [KeptBase]) -> WALRetentionPlan {
        var plan = WALRetentionPlan()
        plan.strangers = listing.strangers
        let starts = bases.map { base in (base, WALFileName(base.info.startWALFile)?.segmentNumber ?? base.info.startLSN.value / LSN.segmentSize) }
        guard let (oldest, cutoff) = starts.min(by: { ($0.1, $0.0.endedAt) < ($1.1, $1.0.endedAt) }) else {
            plan.withheld = "no base backup is kept, so no WAL is deleted"
            plan.kept = listing.files.count
            return plan
        }
        plan.oldestBase = oldest
        plan.cutoff = WALFileName.segmentName(timeline: oldest.info.timeline, number: cutoff)
        for file in listing.files {
            if file.name.kind != .history, let number = file.name.segmentNumber, number < cutoff {
                plan.deletions.append(file)
            } else {
                plan.kept += 1
            }
        }
        return plan
    }

    /// `can restore to any point from … to now` for the kept base backups, or nil without one.
    public func windowText(zone: (Date) -> String) -> String? {
        guard let oldestBase else { return nil }
        return "can restore to any point from \(zone(oldestBase.endedAt)) (base backup \(oldestBase.id)) to the newest archived WAL"
    }
}
