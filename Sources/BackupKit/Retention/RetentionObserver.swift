import BackupHistory
import ConfigKit
import Logging

/// Prunes a job's bucket after each successful backup of that job, never after a failed,
/// interrupted or skipped one. A job with several destinations is pruned at each destination that
/// stored this run's backup (all of them, or those of a partial run), each with the retention that
/// applies there (`job.retention(for:)`). A `runOn: "any"` job is pruned only under its prune
/// claim (`claims`; another host's live claim skips the prune here), which also deletes the job's
/// run-slot claims older than the oldest backup kept in the destination that keeps its claims.
public struct RetentionObserver: RunObserver {
    /// The pruner.
    public let pruner: Pruner
    /// Takes `runOn: "any"` jobs' prune claims (nil: those jobs are pruned unclaimed).
    public var claims: JobTaskClaimer?

    /// An observer that prunes with `pruner`, claiming `runOn: "any"` jobs' prunes with `claims`.
    public init(pruner: Pruner, claims: JobTaskClaimer? = nil) {
        self.pruner = pruner
        self.claims = claims
    }

    public func runFinished(_ run: ObservedRun, outcome: RunOutcome, config: BackupConfig, logger: Logger) async {
        let job = run.job
        guard outcome.status == .succeeded || outcome.status == .partial else { return }
        // The prune stops with the run: a stopping daemon cancels it after the grace period.
        let pruner = Pruner(
            stores: CancellingStoreProvider(base: self.pruner.stores, cancellation: run.cancellation), catalog: self.pruner.catalog,
            history: self.pruner.history, clock: self.pruner.clock)
        let only = outcome.storedDestinations
        // No claim for a prune that would do nothing: no destination of this run has a policy.
        let policed = (only ?? job.destinations).contains { job.retention(for: $0) != nil }
        guard let claims, job.runOn == .any, policed else {
            await Self.prune(job: job, config: config, only: only, pruner: pruner, logger: logger)
            return
        }
        _ = await claims.claimed(.prune, job: job, config: config, logger: logger) { (watch: TaskClaimWatch) in
            // A claim lost midway (another host took it over) stops the prune before its next delete.
            let pruner = pruner.guarded(by: watch)
            let pruned = await Self.prune(job: job, config: config, only: only, pruner: pruner, logger: logger)
            await pruner.deleteOldSlotClaims(after: pruned, job: job, config: config, watch: watch, logger: logger)
        }
    }

    /// Prunes `only` those destinations of `job` (those with a policy) and logs what went wrong.
    @discardableResult
    static func prune(job: JobConfig, config: BackupConfig, only: [String]?, pruner: Pruner, logger: Logger) async -> [Pruner.DestinationPrune] {
        let results = await pruner.pruneDestinations(job: job, config: config, only: only, skipWithoutPolicy: true, dryRun: false, logger: logger)
        for pruned in results {
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
        return results
    }
}
