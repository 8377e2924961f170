import BackupHistory
import ConfigKit
import Logging

/// Prunes a job's bucket after each successful backup of that job, never after a failed,
/// interrupted or skipped one. A job with several destinations is pruned at each destination that
/// stored this run's backup (all of them, or those of a partial run), each with the retention that
/// applies there (`job.retention(for:)`).
public struct RetentionObserver: RunObserver {
    /// The pruner.
    public let pruner: Pruner

    /// An observer that prunes with `pruner`.
    public init(pruner: Pruner) {
        self.pruner = pruner
    }

    public func runFinished(_ run: ObservedRun, outcome: RunOutcome, config: BackupConfig, logger: Logger) async {
        let job = run.job
        guard outcome.status == .succeeded || outcome.status == .partial else { return }
        // The prune stops with the run: a stopping daemon cancels it after the grace period.
        let pruner = Pruner(
            stores: CancellingStoreProvider(base: self.pruner.stores, cancellation: run.cancellation), catalog: self.pruner.catalog,
            history: self.pruner.history, clock: self.pruner.clock)
        for pruned in await pruner.pruneDestinations(job: job, config: config, only: outcome.storedDestinations, skipWithoutPolicy: true, dryRun: false, logger: logger) {
            var log = logger
            log[metadataKey: "s3.destination"] = "\(pruned.destination)"
            switch pruned.result {
            case .success(let report):
                for refused in report.refused {
                    log.warning("prune could not delete an object", metadata: ["s3.key": "\(refused.objectKey)", "error": "\(refused.error ?? "")"])
                }
            case .failure(let error):
                log.error("prune failed; nothing was deleted", metadata: ["error": "\(error)"])
            }
        }
    }
}
