import BackupHistory
import ConfigKit
import Cron
import Logging

extension VerifyRunner {
    /// The daemon's check of a PITR job's WAL chain (nothing for other jobs): at each of
    /// `destinations`, one row recorded with `trigger` (backup `wal-chain`, as `backupd verify`
    /// records it) and told to the observers, so `status`, metrics and notifications see a gap.
    /// `baseFailedAt` names the destinations whose base backup failed its verification in this run.
    public func recordWALChains(
        job: JobConfig, config: BackupConfig, destinations: [String], trigger: VerificationRecord.Trigger, baseFailedAt: Set<String>,
        logger: Logger
    ) async {
        guard job.pitr != nil, !destinations.isEmpty else { return }
        let chains: [WALChainVerifier.DestinationChains]
        do {
            chains = try await WALChainVerifier(stores: stores)
                .checkAll(job: job, config: config, destinations: destinations, clock: clock, logger: logger)
        } catch {
            logger.error("WAL chain check could not run", metadata: ["job.name": "\(job.name)", "error": "\(error)"])
            return
        }
        for chain in chains {
            if Task.isCancelled { return }
            var log = logger
            log[metadataKey: "s3.destination"] = "\(chain.destination)"
            var record = chain.record(job: job.name, trigger: trigger, baseFailed: baseFailedAt.contains(chain.destination)) { result in
                result.render { job.timeZone.iso8601($0) }
            }
            if let history {
                do {
                    record.id = try history.insertVerification(record)
                } catch {
                    log.error("cannot record the WAL chain check in the history", metadata: ["error": "\(error)"])
                }
            }
            for observer in observers { observer.verificationFinished(record, job: job, logger: log) }
            if record.passed {
                log.info("WAL chain complete", metadata: ["job.name": "\(job.name)"])
            } else {
                log.error("WAL chain check failed", metadata: ["job.name": "\(job.name)", "verify.problems": "\(record.error ?? "")"])
            }
        }
    }
}

extension VerifyReport {
    /// Whether a check of the backup itself (not its drill) found a problem.
    var backupFailed: Bool { !(problems.isEmpty && objects.allSatisfy(\.passed)) }
}
