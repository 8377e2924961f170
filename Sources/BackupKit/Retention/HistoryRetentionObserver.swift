import BackupCore
import BackupHistory
import ConfigKit
import Logging

/// Deletes history rows older than the config's `historyRetention` after each run, keeping the
/// newest row of every job.
public struct HistoryRetentionObserver: RunObserver {
    /// The history.
    public let history: HistoryStore
    /// The source of time.
    public let clock: any WallClock

    /// An observer that trims `history`.
    public init(history: HistoryStore, clock: any WallClock) {
        self.history = history
        self.clock = clock
    }

    public func runFinished(_ run: ObservedRun, outcome: RunOutcome, config: BackupConfig, logger: Logger) {
        let cutoff = clock.now().addingTimeInterval(-config.historyRetention.seconds)
        do {
            let removed = try history.pruneHistory(before: cutoff)
            if removed > 0 { logger.info("old history rows deleted", metadata: ["history.deleted": "\(removed)"]) }
        } catch {
            logger.error("cannot delete old history rows", metadata: ["error": "\(error)"])
        }
    }
}
