import BackupHistory
import ConfigKit
import Logging

/// `"verify": {"afterBackup": true}`: re-reads each backup right after it is written (digests,
/// compression, format) at every destination that stored it, and records each verification
/// (trigger `after-backup`); for a PITR job also the WAL chain at those destinations.
public struct AfterBackupVerifier: RunObserver {
    /// Verifies and records.
    public let runner: VerifyRunner

    /// An observer that verifies through `runner`.
    public init(runner: VerifyRunner) {
        self.runner = runner
    }

    public func runFinished(_ run: ObservedRun, outcome: RunOutcome, config: BackupConfig, logger: Logger) async {
        let job = run.job
        guard outcome.status == .succeeded || outcome.status == .partial, config.verifySettings(for: job)?.afterBackup == true,
              let key = outcome.objectKey, let id = ObjectName.parse(key, prefix: job.prefix, job: job.name)?.backupID
        else { return }
        // A job with several destinations has one result per destination: verify each copy that was stored.
        var baseFailed: Set<String> = []
        for destination in outcome.storedDestinations {
            var log = logger
            log[metadataKey: "s3.destination"] = "\(destination)"
            do {
                let reports = try await runner.run(
                    job: job.only(destination: destination), config: config, selection: .backup(id), trigger: .afterBackup, logger: log)
                if reports.contains(where: \.backupFailed) { baseFailed.insert(destination) }
            } catch {
                log.error("verification after the backup could not run", metadata: ["backup.id": "\(id)", "error": "\(error)"])
            }
        }
        // A PITR job: the WAL chain from the new base backup (and the older ones) at each copy.
        await runner.recordWALChains(
            job: job, config: config, destinations: outcome.storedDestinations, trigger: .afterBackup, baseFailedAt: baseFailed, logger: logger)
    }
}
