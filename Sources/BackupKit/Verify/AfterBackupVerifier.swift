import BackupHistory
import ConfigKit
import Logging

/// `"verify": {"afterBackup": true}`: re-reads each backup right after it is written (digests,
/// compression, format) at every destination that stored it, and records each verification
/// (trigger `after-backup`).
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
        for destination in outcome.storedDestinations {
            var log = logger
            log[metadataKey: "s3.destination"] = "\(destination)"
            do {
                _ = try await runner.run(job: job.only(destination: destination), config: config, selection: .backup(id), trigger: .afterBackup, logger: log)
            } catch {
                log.error("verification after the backup could not run", metadata: ["backup.id": "\(id)", "error": "\(error)"])
            }
        }
    }
}
