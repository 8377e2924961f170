import BackupCore
import BackupHistory
import ConfigKit
import Foundation
import Logging

/// `backupd prune`: applies jobs' retention policies at their destinations, a `runOn: "any"` job
/// under its prune claim, then deletes history rows older than `historyRetention`.
public struct PruneJobs: Sendable {
    /// The config whose jobs are pruned.
    public let config: BackupConfig
    /// Shows what would be deleted, deletes nothing, takes no claim and writes no history.
    public let dryRun: Bool
    /// The history (for writing; nil for a dry run), witness of what this backupd stored.
    public let history: HistoryStore?
    private let pruner: Pruner
    private let claims: JobTaskClaimer?
    private let clock: any WallClock

    /// Prunes `config`'s jobs through `stores`. The history is opened for writing unless `dryRun`
    /// (a dry run plans with it too when it exists, without creating or writing it; a warning
    /// to `warn` when it cannot be read); `claims` takes a `runOn: "any"` job's prune claim.
    public init(
        config: BackupConfig, dryRun: Bool, stores: any ObjectStoreProvider, claims: JobTaskClaimer? = .live,
        clock: any WallClock = SystemWallClock(), warn: (String) -> Void
    ) throws(CommandHistoryError) {
        let history = dryRun ? nil : try CommandHistory.writable(config)
        self.config = config
        self.dryRun = dryRun
        self.history = history
        self.claims = claims
        self.clock = clock
        pruner = Pruner(stores: stores, history: history ?? CommandHistory.existing(config, warn: warn), clock: clock)
    }

    /// Prunes over S3 (libcurl); cancelling the task stops the listing and the deletions at the
    /// next page or batch. Logs to `logger`.
    public init(config: BackupConfig, dryRun: Bool, logger: Logger, warn: (String) -> Void) throws(CommandHistoryError) {
        try self.init(config: config, dryRun: dryRun, stores: S3StoreProvider(logger: logger), warn: warn)
    }

    /// Prunes `job` at each of its destinations (or those in `only`); a `runOn: "any"` job only
    /// under its prune claim (not a dry run): another host's claim prunes nothing.
    public func prune(_ job: JobConfig, only: [String]?, logger: Logger) async -> JobTaskClaimer.Outcome<[Pruner.DestinationPrune]> {
        await pruner.pruneJob(job: job, config: config, only: only, dryRun: dryRun, claims: claims, logger: logger)
    }

    /// Deletes history rows older than the config's `historyRetention` (not in a dry run); the
    /// line to print when they cannot be deleted.
    public func trimHistory() -> String? {
        guard let history else { return nil }
        do {
            _ = try history.pruneHistory(before: clock.now().addingTimeInterval(-Double(config.historyRetention.components.seconds)))
            return nil
        } catch {
            return "cannot delete old history rows: \(error)"
        }
    }
}

extension Pruner.DestinationPrune {
    /// Whether this destination's prune counts as a failure: it failed, a deletion was refused,
    /// the plan was withheld (a backup the history records has no manifest), or the WAL listing failed.
    public var failed: Bool {
        switch result {
        case .success(let report): !report.refused.isEmpty || report.plan.withheld != nil || report.wal?.listingFailed == true
        case .failure: true
        }
    }

    /// Why nothing (or not everything) was deleted here, for stderr: the error, or why the plan was withheld.
    public var problem: String? {
        switch result {
        case .success(let report): report.plan.withheld.map { "\($0)" }
        case .failure(let error): "\(error)"
        }
    }
}
