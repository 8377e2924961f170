import BackupCore
import BackupHistory
import ConfigKit
import Logging
import ServiceLifecycle

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
        let pruner = self.pruner
        let only = outcome.storedDestinations
        // No claim for a prune that would do nothing: no destination of this run has a policy.
        let policed = (only ?? job.destinations).contains { job.retention(for: $0) != nil }
        guard let claims, job.runOn == .any, policed else {
            await Self.untilStopping { await Self.prune(job: job, config: config, only: only, pruner: pruner, logger: logger) }
            return
        }
        _ = await claims.claimed(.prune, job: job, config: config, logger: logger) { (watch: TaskClaimWatch) in
            await Self.untilStopping {
                // A claim lost midway (another host took it over) stops the prune before its next delete.
                let pruner = pruner.guarded(by: watch)
                let pruned = await Self.prune(job: job, config: config, only: only, pruner: pruner, logger: logger)
                await pruner.deleteOldSlotClaims(after: pruned, job: job, config: config, watch: watch, logger: logger)
            }
        }
    }

    /// Runs the prune's listings and deletions until they end, or until the daemon begins to stop
    /// (its graceful shutdown), which stops them at once: a stopping daemon is never held by a
    /// listing (the backup itself may still finish within the grace period). Cancelling the run stops them too.
    @discardableResult
    static func untilStopping<T: Sendable>(_ body: @escaping @Sendable () async -> T) async -> T {
        let prune = StoppableTask(body)
        return await withGracefulShutdownHandler {
            await prune.value
        } onGracefulShutdown: {
            prune.stop("backupd is stopping; retention runs again after the next backup")
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
