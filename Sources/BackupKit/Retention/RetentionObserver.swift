import Logging

/// Prunes a job's bucket after each successful backup of that job, never after a failed,
/// interrupted or skipped one.
public struct RetentionObserver: RunObserver {
    /// The pruner.
    public let pruner: Pruner

    /// An observer that prunes with `pruner`.
    public init(pruner: Pruner) {
        self.pruner = pruner
    }

    public func runFinished(_ run: ObservedRun, outcome: RunOutcome, config: BackupConfig, logger: Logger) {
        let job = run.job
        guard outcome.status == .succeeded, job.retention != nil else { return }
        do {
            let report = try pruner.prune(job: job, config: config, dryRun: false, logger: logger)
            for refused in report.refused {
                logger.warning("prune could not delete an object", metadata: ["s3.key": "\(refused.objectKey)", "error": "\(refused.error ?? "")"])
            }
        } catch {
            logger.error("prune failed; nothing was deleted", metadata: ["error": "\(error)"])
        }
    }
}
